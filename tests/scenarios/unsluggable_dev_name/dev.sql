INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('dc1', '— & —', NULL, NULL, true, now());
