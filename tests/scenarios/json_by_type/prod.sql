INSERT INTO plans (id, key, price, meta, doc, conf, history) VALUES
  ('p1', 'bool-vs-int', 10.00, '{"on": 1}', '{}', '{}', '{}'),
  ('p2', 'scale-and-bool', 10.00, '{"on": 0}', '{}', '{}', '{}'),
  ('p3', 'number-forms', 5.00, '{"m": 2.5, "n": 1}', '{}', '{}', '{}'),
  ('p4', 'json-spacing', 7, '{}', '{"a": 1, "b": [true]}', '{}', '{}'),
  ('p5', 'bool-in-array', 7, '{"l": [1, 1]}', '{}', '{}', '{}'),
  ('p6', 'json-bool-vs-int', 7, '{}', '{"x": 1}', '{}', '{}'),
  ('p7', 'domain-bool-vs-int', 7, '{}', '{}', '{"on": 1}', '{}'),
  ('p8', 'jsonb-array-bool-vs-int', 7, '{}', '{}', '{}', ARRAY['{"on": 1}']::jsonb[]),
  ('p9', 'jsonb-array-same', 7, '{}', '{}', '{}', ARRAY['{"b": 2, "a": 1}', '[1]']::jsonb[]);
INSERT INTO plans (id, key, price, deep) VALUES ('p11', 'nested-domain-bool-vs-int', 7, '{"on": 1}');
