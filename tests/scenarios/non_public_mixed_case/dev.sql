INSERT INTO "Catalog"."ProductGroup" ("Id", "Code", "DisplayName") VALUES
  ('g-dev-1', 'BEV', 'Beverages'), ('g-dev-2', 'SNK', 'Snacks & Sweets');
INSERT INTO "Catalog"."Product" ("Id", "Code", "DisplayName", "groupId", "UpdatedAt") VALUES
  ('p-dev-1', 'COLA', 'Cola 0.5 l', 'g-dev-1', now()),
  ('p-dev-2', 'CHIPS', 'Paprika Chips', 'g-dev-2', now()),
  ('p-dev-3', 'WATER', 'Still Water', 'g-dev-1', now());
