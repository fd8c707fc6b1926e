INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('dc1', 'Cleaning', 'Home cleaning', 'broom', true, now()),
  ('dc2', 'Gardening', 'Lawns and hedges', 'leaf', true, now()),
  ('dc3', 'Plumbing', 'Pipes and leaks', 'wrench', true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ds1', 'Deep House Cleaning', 'Top to bottom', 120.00, 'dc1', true, now()),
  ('ds2', 'Window Cleaning', 'Inside and out', 45.00, 'dc1', true, now()),
  ('ds3', 'Lawn Mowing', 'Up to 200 m2', 35.00, 'dc2', true, now()),
  ('ds4', 'Leak Repair', 'Any visible leak', 80.00, 'dc3', true, now());
