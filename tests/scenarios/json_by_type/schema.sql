CREATE DOMAIN settings AS jsonb CHECK (jsonb_typeof(VALUE) = 'object');
CREATE DOMAIN inner_json AS jsonb;
CREATE DOMAIN outer_json AS inner_json;
CREATE TABLE plans (
    id       text PRIMARY KEY,
    key      text NOT NULL UNIQUE,
    price    numeric(10,2) NOT NULL,
    meta     jsonb NOT NULL DEFAULT '{}',
    doc      json NOT NULL DEFAULT '{}',
    conf     settings NOT NULL DEFAULT '{}',
    history  jsonb[] NOT NULL DEFAULT '{}',
    deep     outer_json NOT NULL DEFAULT '{}'
);
GRANT SELECT ON plans TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON plans TO refsync_prod_writer;
