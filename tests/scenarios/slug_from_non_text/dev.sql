INSERT INTO labels (id, label, note) VALUES
  ('a', '"Spa Day"', 'text label'),
  ('b', '{"en": "Spa"}', 'object label');
