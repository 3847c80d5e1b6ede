-- table: curated.commerce_churn_customers
-- merge: customer_id
-- Each customer's churn state (what 250_commerce_churn.sql counts at every cutoff): the day of
-- their first purchase, their main country (the country of most of their lines) and main category (the
-- product category with most of their revenue), and the month starts they "returned at": a
-- purchase on day d counts for the cutoffs c (midnight UTC) in (d - 90 days, d], at most 4 month
-- starts. In days (the lines' UTC day), not timestamps: TIMESTAMPTZ month arithmetic goes through
-- ICU, 10x slower over every line.
-- A customer's row depends on their lines alone, so new lines recompute only their customers;
-- ties go to the last name (not to whichever line came first: the same in a full build and in
-- a merge that reads only some customers' lines), revenue compared at 4 decimals (float sums
-- differ in the last bits with their order).
WITH l AS (
  SELECT customer_id, day, country, category, revenue, is_product FROM curated.commerce_lines WHERE customer_id IS NOT NULL
), cust AS (
  SELECT customer_id, min(first_day) AS first_day, arg_max(country, (n, country)) FILTER (WHERE country IS NOT NULL) AS country
  FROM (SELECT customer_id, country, count(*) AS n, min(day) AS first_day FROM l GROUP BY ALL)
  GROUP BY customer_id
), cat AS (
  SELECT customer_id, arg_max(category, (round(rev, 4), category)) AS category
  FROM (SELECT customer_id, category, sum(revenue) AS rev FROM l WHERE is_product GROUP BY ALL)
  GROUP BY customer_id
), ret AS (
  SELECT customer_id, list_sort(list(DISTINCT cutoff)) AS returned_at
  FROM (
    SELECT customer_id, first_day, CAST(month - to_months(k) AS DATE) AS cutoff
    FROM (SELECT customer_id, date_trunc('month', day) AS month, min(day) AS first_day FROM l GROUP BY ALL), range(4) r(k)
  )
  WHERE first_day < cutoff + 90
  GROUP BY customer_id
)
SELECT c.customer_id, c.first_day, c.country, k.category, r.returned_at
FROM cust c LEFT JOIN cat k USING (customer_id) LEFT JOIN ret r USING (customer_id)
