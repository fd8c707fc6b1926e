INSERT INTO plans (id, key, price, meta, doc, conf, history) VALUES
  ('d1', 'bool-vs-int', 10.00, '{"on": true}', '{}', '{}', '{}'),
  ('d2', 'scale-and-bool', 10.0, '{"on": false}', '{}', '{}', '{}'),
  ('d3', 'number-forms', 5, '{"n": 1.0, "m": 2.50}', '{}', '{}', '{}'),
  ('d4', 'json-spacing', 7, '{}', '{"a":1,"b":[true]}', '{}', '{}'),
  ('d5', 'bool-in-array', 7, '{"l": [1, true]}', '{}', '{}', '{}'),
  ('d6', 'json-bool-vs-int', 7, '{}', '{"x": true}', '{}', '{}'),
  ('d7', 'domain-bool-vs-int', 7, '{}', '{}', '{"on": true}', '{}'),
  ('d8', 'jsonb-array-bool-vs-int', 7, '{}', '{}', '{}', ARRAY['{"on": true}']::jsonb[]),
  ('d9', 'jsonb-array-same', 7, '{}', '{}', '{}', ARRAY['{"a": 1, "b": 2}', '[1.0]']::jsonb[]),
  ('d10', 'created', 1.5, '{"on": true, "tags": ["a"]}', '{"k": null}', '{"on": false}',
   ARRAY['{"on": true}', 'null']::jsonb[]);
INSERT INTO plans (id, key, price, deep) VALUES ('d11', 'nested-domain-bool-vs-int', 7, '{"on": true}');
