INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('pc1', 'Cleaning', 'Home cleaning', 'broom', true, now()),
  ('pc2', 'Gardening', 'Lawns', 'leaf', true, now()),
  ('pc9', 'Pet Care', 'Prod only', 'paw', true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ps1', 'Deep House Cleaning', 'Top to bottom', 120.00, 'pc1', true, now()),
  ('ps2', 'Window Cleaning', 'Inside only', 40.00, 'pc1', true, now()),
  ('ps9', 'Dog Walking', 'Prod only', 15.00, 'pc9', true, now());
