INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('dc1', 'Cleaning', '', NULL, true, now()),
  ('dc2', 'Repairs', NULL, 'hammer ', true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ds1', 'Same Price', NULL, 10.0, 'dc1', true, now()),
  ('ds2', 'Cheaper', NULL, 9.99, 'dc1', true, now()),
  ('ds3', 'Deactivated', NULL, 5, 'dc1', false, now());
