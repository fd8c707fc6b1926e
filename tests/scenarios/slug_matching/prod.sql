INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('pc1', 'cafe spa', 'Relax', 'cup', true, now()),
  ('pc2', 'STRASSE-WORKS', 'Roads', 'road', true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ps1', 'hot-stone-massage', '60 minutes', 70.00, 'pc1', true, now());
