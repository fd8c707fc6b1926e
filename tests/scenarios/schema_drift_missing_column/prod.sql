ALTER TABLE service_categories DROP COLUMN icon;
