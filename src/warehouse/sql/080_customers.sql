-- table: curated.customers
-- merge: customer_id
-- The customer dimension, from their order lines (cancellations excluded).
SELECT customer_id, mode(country) AS country, min(ts) AS first_order_ts, max(ts) AS last_order_ts,
       count(DISTINCT invoice_no) AS invoices, sum(revenue) AS revenue
FROM curated.orders
WHERE customer_id IS NOT NULL AND NOT is_cancellation
GROUP BY customer_id
