CREATE TABLE products (
    id          text NOT NULL,
    sku         text NOT NULL,
    name        text NOT NULL,
    price       numeric(10, 2) NOT NULL,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL,
    CONSTRAINT products_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX products_sku_key ON products (sku);
CREATE TABLE orders (
    id          text NOT NULL,
    "productId" text NOT NULL,
    "customerEmail" text NOT NULL,
    quantity    integer NOT NULL,
    CONSTRAINT orders_pkey PRIMARY KEY (id)
);
CREATE INDEX "orders_productId_idx" ON orders ("productId");
GRANT SELECT ON products TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON products TO refsync_prod_writer;
GRANT SELECT ("productId") ON orders TO refsync_prod_writer;
