-- table: curated.commerce_kpi_customers
-- merge: level, month, country, category, customer_id
-- scope: customer_id
-- delta: sum(lines)
-- The customers behind each cell of curated.commerce_kpis (240_commerce_kpis.sql): one row per
-- KPI cell and customer with a clean line in it, so a cell's distinct customers are a plain
-- count of its rows. A customer's rows depend on that customer's lines alone: new lines
-- recompute only their customers' rows. `lines` (the customer's lines in the cell) makes the
-- rows sums of lines: an incremental build adds the changed lines' counts to the stored rows
-- (src/warehouse/incremental/by-delta.ts) instead of re-reading every line of the customers.
WITH c AS (
  SELECT CAST(date_trunc('month', day) AS DATE) AS month, country, category, customer_id, count(*) AS lines
  FROM curated.commerce_lines WHERE customer_id IS NOT NULL GROUP BY ALL
)
SELECT CASE WHEN grouping(month, country, category) = 7 THEN 'all'
            ELSE concat_ws('+', CASE WHEN grouping(month) = 0 THEN 'month' END,
                                CASE WHEN grouping(country) = 0 THEN 'country' END,
                                CASE WHEN grouping(category) = 0 THEN 'category' END) END AS level,
       month, country, category, customer_id, CAST(sum(lines) AS BIGINT) AS lines
FROM c
GROUP BY GROUPING SETS ((customer_id), (customer_id, month), (customer_id, country), (customer_id, category),
                        (customer_id, month, country), (customer_id, month, category), (customer_id, country, category))
