-- table: curated.commerce_kpis
-- merge: level, month, country, category
-- delta: sum(revenue, invoices, customers, lines, units) facts(curated.commerce_kpi_invoices, curated.commerce_kpi_customers) in g
-- Sales KPIs for the dashboard's filters, one row per combination of month, country and
-- category (NULL in a dimension = all of it; `level` names the dimensions grouped by):
-- revenue, invoices (orders), customers, lines, units and the average ticket (revenue /
-- invoices). Per category, invoices and tickets count the invoices that contain the category.
-- The distinct counts come from the cells' members (236_commerce_kpi_invoices.sql,
-- 237_commerce_kpi_customers.sql: one row per cell and invoice or customer), so they are plain
-- counts, and a cell's row depends on that cell's members alone: new lines recompute only the
-- cells they touch (the months they fall in, and the all-time cells of their countries and
-- categories), and merge by cell.
-- g sums the members' rows (every cell with a customer has an invoice: a line names both), so
-- an incremental build adds the members' changed rows (their change feeds) to the stored sums
-- (src/warehouse/incremental/by-delta.ts) instead of re-reading every member of the touched
-- cells (the all-time cells hold every invoice); the average ticket is derived from g.
WITH g AS (
  SELECT level, month, country, category, sum(revenue) AS revenue, sum(invoices) AS invoices,
         sum(customers) AS customers, sum(lines) AS lines, sum(units) AS units
  FROM (
    SELECT level, month, country, category, revenue, 1 AS invoices, 0 AS customers, lines, units
    FROM curated.commerce_kpi_invoices WHERE invoice_no IS NOT NULL
    UNION ALL
    SELECT level, month, country, category, 0, 0, 1, 0, 0 FROM curated.commerce_kpi_customers
  ) GROUP BY ALL
)
SELECT level, month, country, category, revenue, CAST(invoices AS BIGINT) AS invoices, CAST(customers AS BIGINT) AS customers,
       CAST(lines AS BIGINT) AS lines, CAST(units AS DOUBLE) AS units, revenue / invoices AS avg_ticket
FROM g
