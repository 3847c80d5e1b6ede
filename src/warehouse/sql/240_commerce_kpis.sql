-- table: curated.commerce_kpis
-- Sales KPIs for the dashboard's filters, one row per combination of month, country and
-- category (NULL in a dimension = all of it; `level` names the dimensions grouped by):
-- revenue, invoices (orders), customers, lines, units and the average ticket (revenue /
-- invoices). Per category, invoices and tickets count the invoices that contain the category.
-- The lines are first summed per invoice and category within month and country (a fifth of the
-- rows), so the distinct counts of the seven grouping sets run over far fewer rows; the month
-- comes from `day` (a date), not from the zoned timestamp.
WITH p AS (
  SELECT CAST(date_trunc('month', day) AS DATE) AS month, country, category, invoice_no, customer_id,
         sum(revenue) AS revenue, count(*) AS lines, sum(quantity) AS units
  FROM curated.commerce_lines GROUP BY ALL
)
SELECT CASE WHEN grouping(month, country, category) = 7 THEN 'all'
            ELSE concat_ws('+', CASE WHEN grouping(month) = 0 THEN 'month' END,
                                CASE WHEN grouping(country) = 0 THEN 'country' END,
                                CASE WHEN grouping(category) = 0 THEN 'category' END) END AS level,
       month, country, category,
       sum(revenue) AS revenue, count(DISTINCT invoice_no) AS invoices, count(DISTINCT customer_id) AS customers,
       CAST(sum(lines) AS BIGINT) AS lines, CAST(sum(units) AS DOUBLE) AS units, sum(revenue) / count(DISTINCT invoice_no) AS avg_ticket
FROM p
GROUP BY GROUPING SETS ((), (month), (country), (category), (month, country), (month, category), (country, category))
