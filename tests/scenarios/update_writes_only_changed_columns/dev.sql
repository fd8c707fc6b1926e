INSERT INTO plans VALUES
  ('d1', 'basic', 'Basic (new label)', '{"ratio": 0.1000000000000000055511151231257827}', '1 mon'),
  ('d2', 'yearly', 'Yearly', '{}', '1 year 2 mons');
