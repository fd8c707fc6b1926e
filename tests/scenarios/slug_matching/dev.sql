INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('dc1', 'Café & Spa', 'Relax', 'cup', true, now()),
  ('dc2', 'Straße Works', 'Roads', 'road', true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ds1', 'Hot Stone  Massage!', '60 minutes', 70.00, 'dc1', true, now());
