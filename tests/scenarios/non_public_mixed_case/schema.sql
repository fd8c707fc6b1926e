CREATE SCHEMA "Catalog";
CREATE TABLE "Catalog"."ProductGroup" (
    "Id"          text PRIMARY KEY,
    "Code"        text NOT NULL UNIQUE,
    "DisplayName" text NOT NULL
);
CREATE TABLE "Catalog"."Product" (
    "Id"          text PRIMARY KEY,
    "Code"        text NOT NULL UNIQUE,
    "DisplayName" text NOT NULL,
    "groupId"     text NOT NULL REFERENCES "Catalog"."ProductGroup" ("Id"),
    "UpdatedAt"   timestamptz NOT NULL
);
CREATE TABLE "Catalog"."OrderLine" (
    "Id"        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "productId" text NOT NULL REFERENCES "Catalog"."Product" ("Id"),
    "Quantity"  integer NOT NULL
);
GRANT USAGE ON SCHEMA "Catalog" TO refsync_dev_reader, refsync_prod_writer;
GRANT SELECT ON "Catalog"."ProductGroup", "Catalog"."Product" TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON "Catalog"."ProductGroup", "Catalog"."Product" TO refsync_prod_writer;
GRANT SELECT ("productId") ON "Catalog"."OrderLine" TO refsync_prod_writer;
