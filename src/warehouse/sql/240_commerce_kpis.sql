-- table: curated.commerce_kpis
-- merge: level, month, country, category
-- Sales KPIs for the dashboard's filters, one row per combination of month, country and
-- category (NULL in a dimension = all of it; `level` names the dimensions grouped by):
-- revenue, invoices (orders), customers, lines, units and the average ticket (revenue /
-- invoices). Per category, invoices and tickets count the invoices that contain the category.
-- The distinct counts come from the cells' members (236_commerce_kpi_invoices.sql,
-- 237_commerce_kpi_customers.sql: one row per cell and invoice or customer), so they are plain
-- counts, and a cell's row depends on that cell's members alone: new lines recompute only the
-- cells they touch (the months they fall in, and the all-time cells of their countries and
-- categories), and merge by cell.
WITH i AS (
  SELECT level, month, country, category, sum(revenue) AS revenue, count(invoice_no) AS invoices,
         sum(lines) AS lines, sum(units) AS units
  FROM curated.commerce_kpi_invoices GROUP BY ALL
), c AS (
  SELECT level, month, country, category, count(*) AS customers FROM curated.commerce_kpi_customers GROUP BY ALL
)
SELECT i.level, i.month, i.country, i.category,
       i.revenue, i.invoices, coalesce(c.customers, 0) AS customers,
       CAST(i.lines AS BIGINT) AS lines, CAST(i.units AS DOUBLE) AS units, i.revenue / i.invoices AS avg_ticket
FROM i LEFT JOIN c ON c.level = i.level AND c.month IS NOT DISTINCT FROM i.month
                  AND c.country IS NOT DISTINCT FROM i.country AND c.category IS NOT DISTINCT FROM i.category
