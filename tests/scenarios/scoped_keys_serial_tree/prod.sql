-- prod's ids are different from dev's (serial ids from another history)
INSERT INTO provider_types (id, name) VALUES (10, 'Electrician'), (11, 'Plumber');
INSERT INTO service_groups (id, name, "parentId") VALUES
    (20, 'Home', NULL), (21, 'Repairs', 20), (22, 'Outdoor', 20);
SELECT setval('provider_types_id_seq', 11), setval('service_groups_id_seq', 22);
INSERT INTO offerings (id, "providerTypeId", name, price, "groupId", "updatedAt") VALUES
    (30, 11, 'Inspection', 60.00, 21, now()),
    (31, 10, 'Inspection', 70.00, 21, now()),
    (32, 11, 'Leak repair', 120.00, 21, now()),
    (33, 10, 'Rewiring', 850.00, 21, now()),
    (34, 10, 'Socket install', 50.00, 21, now());
SELECT setval('offerings_id_seq', 34);
INSERT INTO appointments ("offeringId", note) VALUES (33, 'booked rewiring');
INSERT INTO offer_bundles ("offeringIds", title) VALUES (ARRAY[30, 34], 'starter pack');
