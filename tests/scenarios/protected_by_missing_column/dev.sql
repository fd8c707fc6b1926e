INSERT INTO products (id, sku, name, price, "updatedAt") VALUES
  ('clp1', 'MUG-01', 'Mug', 12.00, now()),
  ('clp2', 'TEE-01', 'T-shirt (new print)', 25.00, now()),
  ('clp3', 'CAP-01', 'Cap', 18.00, now()),
  ('clp4', 'BAG-01', 'Tote bag', 15.00, now());
