CREATE TYPE "Tier" AS ENUM ('free', 'pro', 'enterprise');
CREATE TABLE features (
    id          text PRIMARY KEY,
    key         varchar(40) NOT NULL UNIQUE,
    label       varchar(200) NOT NULL,
    weight      numeric NOT NULL,
    rank        integer,
    enabled     boolean NOT NULL,
    "launchAt"  timestamp(3),
    "expiresAt" timestamptz,
    meta        jsonb NOT NULL DEFAULT '{}',
    tier        "Tier" NOT NULL,
    tags        text[] NOT NULL DEFAULT '{}'
);
GRANT SELECT ON features TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON features TO refsync_prod_writer;
