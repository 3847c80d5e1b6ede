-- table: curated.orders
-- merge: event_id
-- scope: day
-- partition: day
-- One row per distinct order line (deduplicated on event_id: of repeated ids, the earliest line)
-- with its revenue. No business cleaning here (cancellations, missing customers and non-product
-- codes stay, flagged): the commerce layer applies and counts those rules.
-- session: view (a build that keeps it to itself reads it once, in 210_commerce_checked.sql)
-- Only the repeated ids go through the per-id ranking (a sort of every row otherwise, for a
-- table that normally has none). Repeats are found by the ids' 64-bit hashes, a cheaper
-- grouping than the strings: ids that merely share a hash go through the ranking too, which
-- keeps each of them (the ranking is by the id itself). `day` is the UTC date, taken from the UTC wall time
-- (make_timestamp(epoch_us)) rather than by casting the zoned timestamp, a time-zone conversion
-- per row.
WITH dup AS (SELECT hash(event_id) AS h FROM raw.order_line GROUP BY h HAVING count(*) > 1),
o AS NOT MATERIALIZED (
  SELECT event_id, ts, CAST(make_timestamp(epoch_us(ts)) AS DATE) AS day, invoice_no, stock_code, description, quantity, unit_price,
         quantity * unit_price AS revenue, customer_id, country, category,
         starts_with(invoice_no, 'C') AS is_cancellation
  FROM raw.order_line
)
SELECT * FROM o WHERE hash(event_id) NOT IN (FROM dup)
UNION ALL
SELECT * FROM o WHERE hash(event_id) IN (FROM dup)
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1
