INSERT INTO brands (slug, name) VALUES ('acme', 'ACME'), ('globex', 'Globex');
INSERT INTO models (slug, name, "brandId") VALUES
  ('acme-rocket', 'Rocket', 1),
  ('acme-anvil', 'Anvil', 1),
  ('acme-magnet', 'Magnet', 1);
INSERT INTO listings ("modelId", price) VALUES (2, 99.00);
