INSERT INTO tax_rates (country, year, rate)
  SELECT * FROM (VALUES ('DE', 2024, 19.00), ('DE', 2025, 19.00), ('AT', 2024, 20.00), ('AT', 2025, 20.00)) v;
INSERT INTO tax_exemptions (code, "rateId")
  SELECT 'books-at-2025', id FROM tax_rates WHERE country = 'AT' AND year = 2025
  UNION ALL SELECT 'food-de-2024', id FROM tax_rates WHERE country = 'DE' AND year = 2024;
