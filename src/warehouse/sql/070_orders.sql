-- table: curated.orders
-- One row per distinct order line (deduplicated on event_id) with its revenue. No business
-- cleaning here (cancellations, missing customers and non-product codes stay, flagged): the
-- commerce layer applies and counts those rules.
SELECT event_id, ts, CAST(ts AS DATE) AS day, invoice_no, stock_code, description, quantity, unit_price,
       quantity * unit_price AS revenue, customer_id, country, category,
       starts_with(invoice_no, 'C') AS is_cancellation
FROM raw.order_line
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ts) = 1
