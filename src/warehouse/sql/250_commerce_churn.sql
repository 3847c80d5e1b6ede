-- table: curated.commerce_churn
-- Churn at each month start whose following 90 days lie inside the data: of the customers who
-- bought before the cutoff, the share with no purchase in [cutoff, cutoff + 90 days). Overall
-- (level 'all'), per customer's main country (level 'country': the country of most of their
-- lines) and per customer's main category (level 'category': the product category with most of
-- their revenue). Any other cutoff or horizon: churnRate() in src/analytics/retail/kpis.ts runs
-- the same definition.
-- Each customer's first purchase, country, category and the cutoffs they returned at come from
-- curated.commerce_churn_customers (merged by customer: a 1% run recomputes the customers it
-- names), so this global aggregate reads ~20 cutoffs x the customers, not every line.
WITH b AS (SELECT min(ts) AS lo, max(ts) AS hi FROM curated.commerce_lines),
cut AS (
  SELECT cutoff, CAST(cutoff AS DATE) AS cutoff_day
  FROM (SELECT unnest(generate_series(date_trunc('month', lo) + INTERVAL 1 MONTH, hi - INTERVAL 90 DAY, INTERVAL 1 MONTH)) AS cutoff FROM b)
), per AS (
  -- every customer at every cutoff (a group whose customers are not active yet still has its row);
  -- a cutoff is a midnight UTC, so a purchase before it is one of an earlier day
  SELECT c.cutoff, u.country, u.category, u.first_day < c.cutoff_day AS active,
         coalesce(list_contains(u.returned_at, c.cutoff_day), false) AS returned
  FROM cut c CROSS JOIN curated.commerce_churn_customers u
)
SELECT CASE WHEN grouping(country) = 0 THEN 'country' WHEN grouping(category) = 0 THEN 'category' ELSE 'all' END AS level,
       cutoff, 90 AS horizon_days, country, category,
       count(*) FILTER (WHERE active) AS active_customers,
       count(*) FILTER (WHERE active AND NOT returned) AS churned_customers,
       count(*) FILTER (WHERE active AND NOT returned) / nullif(count(*) FILTER (WHERE active), 0) AS churn_rate
FROM per
GROUP BY GROUPING SETS ((cutoff), (cutoff, country), (cutoff, category))
