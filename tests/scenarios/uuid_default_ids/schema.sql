CREATE TABLE plans (
    id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key   text NOT NULL UNIQUE,
    name  text NOT NULL,
    "monthlyPrice" numeric(8, 2) NOT NULL
);
CREATE TABLE plan_features (
    id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key      text NOT NULL UNIQUE,
    label    text NOT NULL,
    "planId" uuid NOT NULL REFERENCES plans (id)
);
CREATE TABLE subscriptions (
    id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "planId" uuid NOT NULL REFERENCES plans (id)
);
GRANT SELECT ON plans, plan_features TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON plans, plan_features TO refsync_prod_writer;
GRANT SELECT ("planId") ON subscriptions TO refsync_prod_writer;
