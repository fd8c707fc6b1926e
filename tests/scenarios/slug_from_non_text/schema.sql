CREATE TABLE labels (
    id     text PRIMARY KEY,
    label  jsonb NOT NULL,
    note   text
);
GRANT SELECT ON labels TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON labels TO refsync_prod_writer;
