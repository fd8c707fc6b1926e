CREATE DOMAIN settings AS jsonb;
ALTER TABLE plans ADD COLUMN conf settings;
INSERT INTO plans (id, key, conf) VALUES ('p1', 'basic', '{"on": true}');
