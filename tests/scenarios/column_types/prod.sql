INSERT INTO features (id, key, label, weight, rank, enabled, "launchAt", "expiresAt", meta, tier, tags) VALUES
  ('f1', 'same', 'Same values', 10.00, 1, true, '2024-01-02 03:04:05.123', '2030-06-01 10:00:00+00',
   '{"b": {"c": [1, 2]}, "a": 1}', 'pro', '{x,y}'),
  ('f2', 'changed', 'Changed values', 2.50, 3, true, '2024-02-03 04:05:06.789', '2031-01-01 00:00:00+00',
   '{"ratio": 0.5}', 'pro', '{a}');
