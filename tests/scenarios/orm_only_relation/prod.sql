INSERT INTO products (id, sku, name, price, "updatedAt") VALUES
  ('clp1', 'MUG-01', 'Mug', 10.00, '2020-01-01'),
  ('clp2', 'TEE-01', 'T-shirt', 25.00, '2020-01-01'),
  ('clp3', 'CAP-01', 'Cap', 18.00, '2020-01-01');
INSERT INTO orders (id, "productId", "customerEmail", quantity) VALUES
  ('o1', 'clp1', 'a@example.com', 2);
