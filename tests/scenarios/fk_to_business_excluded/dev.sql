INSERT INTO accounts (id, email) VALUES ('a-dev', 'dev@example.com');
INSERT INTO templates (id, key, body, "ownerId") VALUES
  ('t1', 'welcome', 'Welcome aboard!', 'a-dev'),
  ('t2', 'reset', 'Reset your password', NULL);
