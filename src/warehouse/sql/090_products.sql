-- table: curated.products
-- merge: stock_code
-- The product dimension: most frequent description and category, average price, lines sold.
SELECT stock_code, mode(description) AS description, mode(category) AS category,
       avg(unit_price) AS avg_unit_price, count(*) AS lines
FROM curated.orders
WHERE NOT is_cancellation
GROUP BY stock_code
