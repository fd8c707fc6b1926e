INSERT INTO brands (id, slug, name) VALUES
  (100, 'acme', 'ACME'), (101, 'globex', 'Globex Corp'), (102, 'initech', 'Initech');
INSERT INTO models (id, slug, name, "brandId") VALUES
  (200, 'acme-rocket', 'Rocket', 100),
  (201, 'acme-anvil', 'Anvil XL', 100),
  (202, 'globex-drone', 'Drone', 101),
  (203, 'initech-printer', 'Printer', 102),
  (204, 'initech-stapler', 'Stapler', 102),
  (205, 'acme-magnet', 'Magnet', 102);
