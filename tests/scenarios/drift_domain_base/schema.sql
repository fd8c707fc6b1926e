CREATE TABLE plans (
    id    text PRIMARY KEY,
    key   text NOT NULL UNIQUE
);
GRANT SELECT ON plans TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON plans TO refsync_prod_writer;
