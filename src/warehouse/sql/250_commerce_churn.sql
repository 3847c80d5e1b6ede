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
), inv AS (
  SELECT DISTINCT customer_id, ts FROM curated.commerce_lines
), home AS (
  SELECT customer_id, mode(country) AS country FROM curated.commerce_lines GROUP BY customer_id
), cat AS (
  SELECT customer_id, arg_max(category, rev) AS category
  FROM (SELECT customer_id, category, sum(revenue) AS rev FROM curated.commerce_lines WHERE is_product GROUP BY ALL)
  GROUP BY customer_id
), per AS (
  SELECT c.cutoff, i.customer_id,
         bool_or(i.ts < c.cutoff) AS active,
         bool_or(i.ts >= c.cutoff AND i.ts < c.cutoff + INTERVAL 90 DAY) AS returned
  FROM cut c CROSS JOIN inv i GROUP BY ALL
)
SELECT CASE WHEN grouping(h.country) = 0 THEN 'country' WHEN grouping(k.category) = 0 THEN 'category' ELSE 'all' END AS level,
       p.cutoff, 90 AS horizon_days, h.country, k.category,
       count(*) FILTER (WHERE p.active) AS active_customers,
       count(*) FILTER (WHERE p.active AND NOT p.returned) AS churned_customers,
       count(*) FILTER (WHERE p.active AND NOT p.returned) / nullif(count(*) FILTER (WHERE p.active), 0) AS churn_rate
FROM per p JOIN home h USING (customer_id) LEFT JOIN cat k USING (customer_id)
GROUP BY GROUPING SETS ((p.cutoff), (p.cutoff, h.country), (p.cutoff, k.category))
