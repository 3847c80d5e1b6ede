-- table: curated.commerce_churn
-- Churn at each month start whose following 90 days lie inside the data: of the customers who
-- bought before the cutoff, the share with no purchase in [cutoff, cutoff + 90 days). Overall
-- (level 'all'), per customer's main country (level 'country': the country of most of their
-- lines) and per customer's main category (level 'category': the product category with most of
-- their revenue). Any other cutoff or horizon: churnRate() in src/analytics/retail/kpis.ts runs
-- the same definition.
WITH b AS (SELECT min(ts) AS lo, max(ts) AS hi FROM curated.commerce_lines),
cut AS (
  SELECT unnest(generate_series(date_trunc('month', lo) + INTERVAL 1 MONTH, hi - INTERVAL 90 DAY, INTERVAL 1 MONTH)) AS cutoff FROM b
), cust AS (
  SELECT customer_id, min(ts) AS first_ts, mode(country) AS country
  FROM curated.commerce_lines WHERE customer_id IS NOT NULL GROUP BY customer_id
), cat AS (
  SELECT customer_id, arg_max(category, rev) AS category
  FROM (SELECT customer_id, category, sum(revenue) AS rev FROM curated.commerce_lines WHERE is_product GROUP BY ALL)
  GROUP BY customer_id
), ret AS (
  -- the cutoffs each customer returned at: a purchase at ts counts for the cutoffs in (ts - 90 days, ts]
  -- (a range join of the invoices with the ~20 cutoffs, not every invoice against every cutoff)
  SELECT DISTINCT i.customer_id, c.cutoff
  FROM (SELECT DISTINCT customer_id, ts FROM curated.commerce_lines WHERE customer_id IS NOT NULL) i
  JOIN cut c ON i.ts >= c.cutoff AND i.ts < c.cutoff + INTERVAL 90 DAY
), per AS (
  -- every customer at every cutoff (a group whose customers are not active yet still has its row)
  SELECT c.cutoff, u.customer_id, u.country, u.first_ts < c.cutoff AS active, r.customer_id IS NOT NULL AS returned
  FROM cut c CROSS JOIN cust u LEFT JOIN ret r ON r.customer_id = u.customer_id AND r.cutoff = c.cutoff
)
SELECT CASE WHEN grouping(p.country) = 0 THEN 'country' WHEN grouping(k.category) = 0 THEN 'category' ELSE 'all' END AS level,
       p.cutoff, 90 AS horizon_days, p.country, k.category,
       count(*) FILTER (WHERE p.active) AS active_customers,
       count(*) FILTER (WHERE p.active AND NOT p.returned) AS churned_customers,
       count(*) FILTER (WHERE p.active AND NOT p.returned) / nullif(count(*) FILTER (WHERE p.active), 0) AS churn_rate
FROM per p LEFT JOIN cat k USING (customer_id)
GROUP BY GROUPING SETS ((p.cutoff), (p.cutoff, p.country), (p.cutoff, k.category))
