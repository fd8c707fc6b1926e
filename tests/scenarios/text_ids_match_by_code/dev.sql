INSERT INTO countries (id, code, name, "isActive", "updatedAt") VALUES
  ('ckdev0000000000000000001', 'DE', 'Germany', true, now()),
  ('ckdev0000000000000000002', 'AT', 'Austria', true, now()),
  ('ckdev0000000000000000003', 'CH', 'Switzerland', true, now());
INSERT INTO regions (id, code, name, "countryId", "updatedAt") VALUES
  ('ckdev0000000000000000011', 'DE-BY', 'Bavaria', 'ckdev0000000000000000001', now()),
  ('ckdev0000000000000000012', 'AT-9', 'Vienna', 'ckdev0000000000000000002', now()),
  ('ckdev0000000000000000013', 'CH-ZH', 'Zurich', 'ckdev0000000000000000003', now());
