ALTER TABLE products ALTER COLUMN price TYPE integer;
INSERT INTO products (id, sku, price) VALUES ('p1', 'MUG', 12);
