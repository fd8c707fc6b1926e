INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") VALUES
  ('pc1', 'Cleaning', NULL, NULL, true, now());
INSERT INTO services (id, name, description, price, "categoryId", "isActive", "updatedAt") VALUES
  ('ps1', 'Booked Service', 'old', 10.00, 'pc1', true, now()),
  ('ps2', 'Offered Service', 'old', 10.00, 'pc1', true, now()),
  ('ps3', 'Catalogued Service', 'old', 10.00, 'pc1', true, now()),
  ('ps4', 'Drafted Service', 'old', 10.00, 'pc1', true, now()),
  ('ps5', 'Free Service', 'old', 10.00, 'pc1', true, now()),
  ('ps6', 'Booked But Equal', 'same', 16.00, 'pc1', true, now());
INSERT INTO users (id, email, "updatedAt") VALUES ('u1', 'a@example.com', now()), ('u2', 'b@example.com', now());
INSERT INTO providers (id, "userId", "businessName", "updatedAt") VALUES ('pr1', 'u2', 'Sparkle Ltd', now());
INSERT INTO bookings (id, "serviceId", "userId", "scheduledAt", price, "updatedAt") VALUES
  ('b1', 'ps1', 'u1', now(), 10.00, now()),
  ('b2', 'ps6', 'u1', now(), 16.00, now());
INSERT INTO provider_services ("providerId", "serviceId") VALUES ('pr1', 'ps2');
INSERT INTO catalogue_items (id, "serviceId", title, "updatedAt") VALUES ('ci1', 'ps3', 'Featured', now());
INSERT INTO booking_drafts (id, "serviceId", "expiresAt", "updatedAt") VALUES ('bd1', 'ps4', now(), now());
