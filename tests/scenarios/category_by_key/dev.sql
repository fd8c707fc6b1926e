INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('dc1', 'Cleaning', NULL, NULL, true, now()),
  ('dc2', 'Laundry', NULL, NULL, true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ds1', 'Carpet Cleaning', NULL, 60.00, 'dc1', true, now()),
  ('ds2', 'Ironing', NULL, 20.00, 'dc2', true, now());
