INSERT INTO plans (id, key, tier) VALUES ('p1', 'basic', 'free');
