SET TIME ZONE 'Europe/Berlin';
INSERT INTO features (id, key, label, weight, rank, enabled, "launchAt", "expiresAt", meta, tier, tags) VALUES
  ('f1', 'same', 'Same values', 10.0, 1, true, '2024-01-02 03:04:05.123', '2030-06-01 12:00:00+02',
   '{"a": 1, "b": {"c": [1, 2]}}', 'pro', '{x,y}'),
  ('f2', 'changed', 'Changed values', 2.5, 2, false, '2024-02-03 04:05:06.789', '2031-01-01 00:00:00.123456+00',
   '{"ratio": 0.25, "limits": {"max": 3}, "label": "x"}', 'enterprise', ARRAY['with space', 'comma,inside', NULL, '"quoted"']),
  ('f3', 'created', 'Created – ünïcode', 0.001, NULL, true, NULL, '2029-12-31 23:59:59.999999-05',
   '[1.5, "two", null, {"k": false}]', 'free', '{}');
