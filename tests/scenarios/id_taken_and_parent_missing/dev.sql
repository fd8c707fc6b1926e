INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('shared-id-1', 'Electrical', NULL, NULL, true, now()),
  ('dc2', 'Painting', NULL, NULL, true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ds1', 'Socket Install', NULL, 50.00, 'shared-id-1', true, now()),
  ('ds2', 'Wall Painting', NULL, 200.00, 'dc2', true, now());
