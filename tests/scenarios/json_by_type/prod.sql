INSERT INTO plans (id, key, price, meta, doc) VALUES
  ('p1', 'bool-vs-int', 10.00, '{"on": 1}', '{}'),
  ('p2', 'scale-and-bool', 10.00, '{"on": 0}', '{}'),
  ('p3', 'number-forms', 5.00, '{"m": 2.5, "n": 1}', '{}'),
  ('p4', 'json-spacing', 7, '{}', '{"a": 1, "b": [true]}'),
  ('p5', 'bool-in-array', 7, '{"l": [1, 1]}', '{}'),
  ('p6', 'json-bool-vs-int', 7, '{}', '{"x": 1}');
