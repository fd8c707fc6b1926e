INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('pc1', 'Cleaning', NULL, NULL, true, now()),
  ('pc2', 'Repairs', NULL, 'hammer', true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ps1', 'Same Price', NULL, 10.00, 'pc1', true, now()),
  ('ps2', 'Cheaper', NULL, 10.00, 'pc1', true, now()),
  ('ps3', 'Deactivated', NULL, 5.00, 'pc1', true, now());
