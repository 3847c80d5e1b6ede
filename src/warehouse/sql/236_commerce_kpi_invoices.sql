-- table: curated.commerce_kpi_invoices
-- merge: level, month, country, category, invoice_no
-- scope: invoice_no
-- delta: sum(revenue, lines, units)
-- The invoices behind each cell of curated.commerce_kpis (240_commerce_kpis.sql): one row per
-- KPI cell (month, country, category, NULL = all of it; `level` names the dimensions grouped by)
-- and invoice in it, with the revenue, lines and units the invoice adds to the cell. A cell's
-- distinct invoices are then a plain count of its rows, and its sums sums of them. An invoice's
-- rows depend on that invoice's lines alone, so new lines recompute only their invoices' rows
-- (a distinct count over all time could not be merged: this table is what makes the KPIs
-- incremental). Its columns are sums of lines: an incremental build adds the changed lines' sums
-- to the stored rows (src/warehouse/incremental/by-delta.ts) instead of re-reading their invoices.
WITH p AS (
  SELECT CAST(date_trunc('month', day) AS DATE) AS month, country, category, invoice_no,
         sum(revenue) AS revenue, count(*) AS lines, sum(quantity) AS units
  FROM curated.commerce_lines GROUP BY ALL
)
SELECT CASE WHEN grouping(month, country, category) = 7 THEN 'all'
            ELSE concat_ws('+', CASE WHEN grouping(month) = 0 THEN 'month' END,
                                CASE WHEN grouping(country) = 0 THEN 'country' END,
                                CASE WHEN grouping(category) = 0 THEN 'category' END) END AS level,
       month, country, category, invoice_no,
       sum(revenue) AS revenue, CAST(sum(lines) AS BIGINT) AS lines, CAST(sum(units) AS BIGINT) AS units
FROM p
GROUP BY GROUPING SETS ((invoice_no), (invoice_no, month), (invoice_no, country), (invoice_no, category),
                        (invoice_no, month, country), (invoice_no, month, category), (invoice_no, country, category))
