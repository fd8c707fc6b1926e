CREATE DOMAIN settings AS text;
ALTER TABLE plans ADD COLUMN conf settings;
INSERT INTO plans (id, key, conf) VALUES ('d1', 'basic', 'hello world');
