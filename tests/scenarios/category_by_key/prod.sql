INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('pc1', 'Cleaning', NULL, NULL, true, now()),
  ('pc2', 'Laundry', NULL, NULL, true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ps1', 'Carpet Cleaning', NULL, 60.00, 'pc1', true, now()),
  ('ps2', 'Ironing', NULL, 20.00, 'pc1', true, now());
