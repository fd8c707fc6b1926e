CREATE TABLE countries (
    id          text PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    "isActive"  boolean NOT NULL DEFAULT true,
    "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" timestamp(3) NOT NULL
);
CREATE TABLE regions (
    id          text PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    "countryId" text NOT NULL REFERENCES countries (id),
    "updatedAt" timestamp(3) NOT NULL
);
GRANT SELECT ON countries, regions TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON countries, regions TO refsync_prod_writer;
