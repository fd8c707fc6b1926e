CREATE TABLE tax_rates (
    id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    country char(2) NOT NULL,
    year    integer NOT NULL,
    rate    numeric(5, 2) NOT NULL,
    UNIQUE (country, year)
);
CREATE TABLE tax_exemptions (
    id       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code     text NOT NULL UNIQUE,
    "rateId" integer NOT NULL REFERENCES tax_rates (id)
);
GRANT SELECT ON tax_rates, tax_exemptions TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON tax_rates, tax_exemptions TO refsync_prod_writer;
