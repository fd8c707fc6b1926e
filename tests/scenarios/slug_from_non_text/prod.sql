INSERT INTO labels (id, label, note) VALUES ('p1', '{"en": "Spa"}', 'prod');
