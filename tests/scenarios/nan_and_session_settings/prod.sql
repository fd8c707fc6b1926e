-- Prod's database prints intervals in another style by default; refsync's sessions must
-- read both sides alike.
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET intervalstyle = %L', current_database(), 'postgres_verbose');
END $$;
INSERT INTO rates (id, key, ratio, levels, weights, period) VALUES
  ('p1', 'nan-float', 'NaN', NULL, NULL, NULL),
  ('p2', 'nan-arrays', NULL, '{NaN,1}', '{NaN}', NULL),
  ('p3', 'interval-style', NULL, NULL, NULL, '1 day 2 hours'),
  ('p4', 'changed', 2.5, '{1}', '{0.1}', '1 mon');
