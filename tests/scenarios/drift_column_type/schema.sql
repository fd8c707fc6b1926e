CREATE TABLE products (
    id    text PRIMARY KEY,
    sku   text NOT NULL UNIQUE,
    price numeric(10, 2) NOT NULL
);
GRANT SELECT ON products TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON products TO refsync_prod_writer;
