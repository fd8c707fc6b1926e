CREATE TYPE "Tier" AS ENUM ('free', 'pro');
CREATE TABLE plans (
    id   text PRIMARY KEY,
    key  text NOT NULL UNIQUE,
    tier "Tier" NOT NULL
);
GRANT SELECT ON plans TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON plans TO refsync_prod_writer;
