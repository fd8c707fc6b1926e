INSERT INTO plans VALUES
  ('p1', 'basic', 'Basic', '{"ratio": 0.1000000000000000055511151231257827}', '1 mon'),
  ('p2', 'yearly', 'Yearly', '{}', '1 mon');
