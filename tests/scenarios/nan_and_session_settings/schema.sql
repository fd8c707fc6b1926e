CREATE TABLE rates (
    id       text PRIMARY KEY,
    key      text NOT NULL UNIQUE,
    ratio    double precision,
    levels   numeric[],
    weights  double precision[],
    period   interval
);
GRANT SELECT ON rates TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON rates TO refsync_prod_writer;
