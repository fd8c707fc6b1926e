INSERT INTO accounts (id, email) VALUES ('a-prod', 'ops@example.com');
INSERT INTO templates (id, key, body, "ownerId") VALUES ('t1', 'welcome', 'Welcome!', 'a-prod');
