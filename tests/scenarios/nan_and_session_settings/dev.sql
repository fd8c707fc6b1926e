INSERT INTO rates (id, key, ratio, levels, weights, period) VALUES
  ('d1', 'nan-float', 'NaN', NULL, NULL, NULL),
  ('d2', 'nan-arrays', NULL, '{NaN,1.0}', '{NaN}', NULL),
  ('d3', 'interval-style', NULL, NULL, NULL, '1 day 2 hours'),
  ('d4', 'changed', 1.5, '{1.00}', '{0.1}', '1 mon');
