INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('pc1', 'Cleaning', NULL, NULL, true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ps1', 'Window Cleaning', 'a', 10.00, 'pc1', true, now()),
  ('ps2', 'Window  cleaning', 'b', 11.00, 'pc1', true, now());
