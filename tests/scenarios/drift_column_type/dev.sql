INSERT INTO products (id, sku, price) VALUES ('p1', 'MUG', 12.50);
