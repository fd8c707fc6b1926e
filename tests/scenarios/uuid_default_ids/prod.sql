INSERT INTO plans (id, key, name, "monthlyPrice") VALUES
  ('00000000-0000-4000-8000-00000000a001', 'free', 'Free', 0.00),
  ('00000000-0000-4000-8000-00000000a002', 'pro', 'Pro', 15.00);
INSERT INTO plan_features (key, label, "planId") VALUES
  ('projects-3', 'Three projects', '00000000-0000-4000-8000-00000000a001');
INSERT INTO subscriptions ("planId") VALUES ('00000000-0000-4000-8000-00000000a002');
