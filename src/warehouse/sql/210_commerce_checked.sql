-- table: curated.commerce_checked
-- merge: event_id
-- scope: day
-- partition: day
-- Every order line with the verdict of the cleaning rules, applied in this order (a line is
-- charged to the first rule it fails, so the validation report's counts add up):
--   1 cancellation           invoice number starts with 'C' (the reversal of an earlier sale)
--   2 missing_customer       no customer id (cannot be attributed; no RFM, churn or spend)
--   3 non_positive_quantity  quantity <= 0 (returns and stock adjustments outside 'C' invoices)
--   4 non_positive_price     unit price <= 0 (free samples, write-offs)
-- These are the "usual cleaning" of the Online Retail reference figures. Non-product codes
-- (postage POST/DOT/C2, manual M, fees BANK CHARGES/AMAZONFEE/PADS/CRUK, adjustments B/S/D,
-- gift vouchers) are real money the customer paid, so they stay in the sales KPIs but are
-- flagged is_product = false, categorised "service" and left out of product analytics.
-- The taxonomy is matched once per distinct description (a few thousand), not per line; the
-- descriptions are taken from the raw lines (the same set, deduplication only drops repeats),
-- which are read for one column where the orders would be deduplicated a second time.
WITH descr AS (
  SELECT description AS d, ' ' || regexp_replace(upper(description), '[^A-Z0-9]+', ' ', 'g') AS words
  FROM (SELECT DISTINCT description FROM raw.order_line WHERE description IS NOT NULL)
), derived AS (
  SELECT d.d, arg_min(t.category, t.priority) AS category
  FROM descr d JOIN curated.commerce_taxonomy t ON contains(d.words, t.pattern)
  GROUP BY d.d
), o AS (
  SELECT *, NOT (upper(stock_code) IN ('POST', 'DOT', 'C2', 'M', 'BANK CHARGES', 'AMAZONFEE', 'PADS', 'CRUK', 'B', 'S', 'D')
                 OR starts_with(lower(stock_code), 'gift_')) AS is_product,
         nullif(trim(customer_id), '') AS customer
  FROM curated.orders
)
SELECT o.event_id, o.ts, o.day, o.invoice_no, o.stock_code, o.description, o.quantity, o.unit_price, o.revenue,
       o.customer AS customer_id, coalesce(nullif(trim(o.country), ''), 'Unspecified') AS country,
       o.is_product,
       CASE WHEN NOT o.is_product THEN 'service'
            ELSE coalesce(nullif(lower(trim(o.category)), ''), d.category, 'other') END AS category,
       CASE WHEN o.is_cancellation THEN 'cancellation'
            WHEN o.customer IS NULL THEN 'missing_customer'
            WHEN o.quantity <= 0 THEN 'non_positive_quantity'
            WHEN o.unit_price <= 0 THEN 'non_positive_price' END AS rejected_by
FROM o LEFT JOIN derived d ON d.d = o.description
