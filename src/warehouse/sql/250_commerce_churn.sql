-- table: curated.commerce_churn
-- Churn at each month start whose following 90 days lie inside the data: of the customers who
-- bought before the cutoff, the share with no purchase in [cutoff, cutoff + 90 days). Overall
-- (country NULL) and per customer's main country. Any other cutoff or horizon: churnRate() in
-- src/analytics/retail/kpis.ts runs the same definition.
WITH b AS (SELECT min(ts) AS lo, max(ts) AS hi FROM curated.commerce_lines),
cut AS (
  SELECT unnest(generate_series(date_trunc('month', lo) + INTERVAL 1 MONTH, hi - INTERVAL 90 DAY, INTERVAL 1 MONTH)) AS cutoff FROM b
), inv AS (
  SELECT DISTINCT customer_id, ts FROM curated.commerce_lines
), home AS (
  SELECT customer_id, mode(country) AS country FROM curated.commerce_lines GROUP BY customer_id
), per AS (
  SELECT c.cutoff, i.customer_id,
         bool_or(i.ts < c.cutoff) AS active,
         bool_or(i.ts >= c.cutoff AND i.ts < c.cutoff + INTERVAL 90 DAY) AS returned
  FROM cut c CROSS JOIN inv i GROUP BY ALL
)
SELECT p.cutoff, 90 AS horizon_days, h.country,
       count(*) FILTER (WHERE p.active) AS active_customers,
       count(*) FILTER (WHERE p.active AND NOT p.returned) AS churned_customers,
       count(*) FILTER (WHERE p.active AND NOT p.returned) / nullif(count(*) FILTER (WHERE p.active), 0) AS churn_rate
FROM per p JOIN home h USING (customer_id)
GROUP BY GROUPING SETS ((p.cutoff), (p.cutoff, h.country))
