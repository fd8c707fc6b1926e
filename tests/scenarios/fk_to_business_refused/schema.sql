CREATE TABLE accounts (
    id    text PRIMARY KEY,
    email text NOT NULL
);
CREATE TABLE templates (
    id        text PRIMARY KEY,
    key       text NOT NULL UNIQUE,
    body      text NOT NULL,
    "ownerId" text REFERENCES accounts (id)
);
GRANT SELECT ON templates TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON templates TO refsync_prod_writer;
