INSERT INTO tax_rates (country, year, rate) VALUES ('AT', 2024, 20.00), ('DE', 2024, 16.00), ('DE', 2025, 19.00);
INSERT INTO tax_exemptions (code, "rateId")
  SELECT 'food-de-2024', id FROM tax_rates WHERE country = 'DE' AND year = 2025;
