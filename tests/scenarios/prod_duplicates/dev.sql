INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('dc1', 'Cleaning', NULL, NULL, true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ds1', 'Window Cleaning', 'dev', 10.00, 'dc1', true, now()),
  ('ds2', 'Oven Cleaning', 'dev', 30.00, 'dc1', true, now());
