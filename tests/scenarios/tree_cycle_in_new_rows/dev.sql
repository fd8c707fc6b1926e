INSERT INTO categories (id, name, "parentId", "sortOrder") VALUES
  (1, 'Root', NULL, 1),
  (2, 'Alpha', NULL, 1),
  (3, 'Beta', 2, 1),
  (4, 'Gamma', 3, 1);
UPDATE categories SET "parentId" = 3 WHERE id = 2;
INSERT INTO categories (id, name, "parentId", "sortOrder") VALUES (5, 'Leaf', 1, 1);
