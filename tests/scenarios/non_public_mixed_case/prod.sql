INSERT INTO "Catalog"."ProductGroup" ("Id", "Code", "DisplayName") VALUES
  ('g-prod-1', 'BEV', 'Beverages'), ('g-prod-2', 'SNK', 'Snacks');
INSERT INTO "Catalog"."Product" ("Id", "Code", "DisplayName", "groupId", "UpdatedAt") VALUES
  ('p-prod-1', 'COLA', 'Cola', 'g-prod-1', '2020-01-01 00:00:00+00'),
  ('p-prod-2', 'CHIPS', 'Chips', 'g-prod-1', '2020-01-01 00:00:00+00');
INSERT INTO "Catalog"."OrderLine" ("productId", "Quantity") VALUES ('p-prod-1', 3);
