INSERT INTO categories (id, name, "parentId", "sortOrder") VALUES
  (50, 'Home', NULL, 1),
  (51, 'Tools', 50, 2),
  (52, 'Power Tools', 51, 1),
  (53, 'Drills', 52, 1),
  (54, 'Garden', 51, 3),
  (55, 'Lighting', 50, 4),
  (56, 'Lamps', 55, 1),
  (57, 'Desk Lamps', 56, 1),
  (58, 'Kitchen', 50, 5);
