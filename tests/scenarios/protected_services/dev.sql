INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('dc1', 'Cleaning', NULL, NULL, true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ds1', 'Booked Service', 'new text', 11.00, 'dc1', true, now()),
  ('ds2', 'Offered Service', 'new text', 12.00, 'dc1', true, now()),
  ('ds3', 'Catalogued Service', 'new text', 13.00, 'dc1', true, now()),
  ('ds4', 'Drafted Service', 'new text', 14.00, 'dc1', true, now()),
  ('ds5', 'Free Service', 'new text', 15.00, 'dc1', true, now()),
  ('ds6', 'Booked But Equal', 'same', 16.00, 'dc1', true, now());
