-- A provider marketplace of our own: serial ids everywhere (they differ between dev and
-- prod), a category tree, offerings whose name is unique per provider type (a key scoped
-- by a parent), and business data pointing at offerings by a foreign key and by an int[].
CREATE TABLE provider_types (
    id   serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);
CREATE TABLE service_groups (
    id         serial PRIMARY KEY,
    name       text NOT NULL,
    "parentId" integer REFERENCES service_groups (id)
);
CREATE TABLE offerings (
    id               serial PRIMARY KEY,
    "providerTypeId" integer NOT NULL REFERENCES provider_types (id),
    name             text NOT NULL,
    price            numeric(10, 2) NOT NULL,
    "groupId"        integer REFERENCES service_groups (id),
    "updatedAt"      timestamp(3) NOT NULL,
    UNIQUE ("providerTypeId", name)
);
CREATE TABLE appointments (
    id           serial PRIMARY KEY,
    "offeringId" integer NOT NULL REFERENCES offerings (id),
    note         text
);
CREATE TABLE offer_bundles (
    id            serial PRIMARY KEY,
    "offeringIds" integer[] NOT NULL,
    title         text
);
GRANT SELECT ON provider_types, service_groups, offerings TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON provider_types, service_groups, offerings TO refsync_prod_writer;
GRANT USAGE ON SEQUENCE provider_types_id_seq, service_groups_id_seq, offerings_id_seq
    TO refsync_prod_writer;
GRANT SELECT ("offeringId") ON appointments TO refsync_prod_writer;
GRANT SELECT ("offeringIds") ON offer_bundles TO refsync_prod_writer;
