CREATE TABLE categories (
    id         serial PRIMARY KEY,
    name       text NOT NULL,
    "parentId" integer REFERENCES categories (id),
    "sortOrder" integer NOT NULL DEFAULT 0
);
GRANT SELECT ON categories TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON categories TO refsync_prod_writer;
GRANT USAGE ON SEQUENCE categories_id_seq TO refsync_prod_writer;
