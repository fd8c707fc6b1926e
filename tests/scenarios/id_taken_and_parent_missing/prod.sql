INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('shared-id-1', 'Carpentry', NULL, NULL, true, now());
