INSERT INTO countries (id, code, name, "isActive", "updatedAt") VALUES
  ('ckprod000000000000000001', 'DE', 'Germany', true, now()),
  ('ckprod000000000000000002', 'AT', 'Oesterreich', true, now()),
  ('ckprod000000000000000009', 'FR', 'France', true, now());
INSERT INTO regions (id, code, name, "countryId", "updatedAt") VALUES
  ('ckprod000000000000000011', 'DE-BY', 'Bavaria', 'ckprod000000000000000001', now()),
  ('ckprod000000000000000012', 'AT-9', 'Vienna', 'ckprod000000000000000001', now());
