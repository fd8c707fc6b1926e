INSERT INTO plans (id, key, name, "monthlyPrice") VALUES
  ('00000000-0000-4000-8000-00000000d001', 'free', 'Free', 0),
  ('00000000-0000-4000-8000-00000000d002', 'pro', 'Pro', 19.00),
  ('00000000-0000-4000-8000-00000000d003', 'team', 'Team', 49.00);
INSERT INTO plan_features (id, key, label, "planId") VALUES
  ('00000000-0000-4000-8000-00000000f001', 'projects-3', 'Three projects', '00000000-0000-4000-8000-00000000d001'),
  ('00000000-0000-4000-8000-00000000f002', 'projects-unlimited', 'Unlimited projects', '00000000-0000-4000-8000-00000000d002'),
  ('00000000-0000-4000-8000-00000000f003', 'sso', 'Single sign-on', '00000000-0000-4000-8000-00000000d003');
