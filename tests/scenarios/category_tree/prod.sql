INSERT INTO categories (id, name, "parentId", "sortOrder") VALUES
  (1, 'Home', NULL, 1),
  (2, 'Garden', 1, 3),
  (3, 'Lighting', 1, 4),
  (4, 'lighting ', 1, 4),
  (5, 'Kitchen', 1, 5);
SELECT setval('categories_id_seq', 5);
