INSERT INTO plans (id, key, price, meta, doc) VALUES
  ('d1', 'bool-vs-int', 10.00, '{"on": true}', '{}'),
  ('d2', 'scale-and-bool', 10.0, '{"on": false}', '{}'),
  ('d3', 'number-forms', 5, '{"n": 1.0, "m": 2.50}', '{}'),
  ('d4', 'json-spacing', 7, '{}', '{"a":1,"b":[true]}'),
  ('d5', 'bool-in-array', 7, '{"l": [1, true]}', '{}'),
  ('d6', 'json-bool-vs-int', 7, '{}', '{"x": true}'),
  ('d7', 'created', 1.5, '{"on": true, "tags": ["a"]}', '{"k": null}');
