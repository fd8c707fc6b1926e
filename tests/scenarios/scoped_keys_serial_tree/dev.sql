INSERT INTO provider_types (id, name) VALUES (1, 'Plumber'), (2, 'Electrician'), (3, 'Gardener');
INSERT INTO service_groups (id, name, "parentId") VALUES
    (1, 'Home', NULL), (2, 'Repairs', 1), (3, 'Outdoor', 1), (4, 'Emergency', 2);
INSERT INTO offerings (id, "providerTypeId", name, price, "groupId", "updatedAt") VALUES
    (1, 1, 'Inspection', 60.00, 2, now()),   -- same name, three provider types
    (2, 2, 'Inspection', 75.00, 2, now()),
    (3, 3, 'Inspection', 40.00, 3, now()),
    (4, 1, 'Leak repair', 120.00, 4, now()), -- moves to the new Emergency group
    (5, 2, 'Rewiring', 900.00, 2, now()),    -- price changes, but it is booked
    (6, 2, 'Socket install', 55.00, 2, now()), -- price changes, but it is in a bundle
    (7, 3, 'Hedge trim', 35.00, 3, now());   -- new provider type, new offering
