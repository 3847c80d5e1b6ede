-- table: curated.commerce_validation
-- The data validation report: for each cleaning rule, the rows it removed (charged to the first
-- rule a line fails, in rule order, so removed rows + kept rows = input rows) and the rows that
-- match it at all (a line can match several); then the kept total, and the non-product lines
-- kept in sales but flagged out of product analytics.
-- All of it from one pass over the checked lines.
WITH rules AS (
  SELECT * FROM (VALUES
    (1, 'cancellation', 'invoice number starts with C'),
    (2, 'missing_customer', 'no customer id'),
    (3, 'non_positive_quantity', 'quantity <= 0'),
    (4, 'non_positive_price', 'unit price <= 0')) AS r(step, rule, description)
), n AS (
  SELECT count(*) AS input,
         count(*) FILTER (WHERE rejected_by = 'cancellation') AS removed_1,
         count(*) FILTER (WHERE rejected_by = 'missing_customer') AS removed_2,
         count(*) FILTER (WHERE rejected_by = 'non_positive_quantity') AS removed_3,
         count(*) FILTER (WHERE rejected_by = 'non_positive_price') AS removed_4,
         count(*) FILTER (WHERE starts_with(invoice_no, 'C')) AS matching_1,
         count(*) FILTER (WHERE customer_id IS NULL) AS matching_2,
         count(*) FILTER (WHERE quantity <= 0) AS matching_3,
         count(*) FILTER (WHERE unit_price <= 0) AS matching_4,
         count(*) FILTER (WHERE rejected_by IS NULL) AS kept,
         count(*) FILTER (WHERE rejected_by IS NULL AND NOT is_product) AS kept_non_product,
         count(*) FILTER (WHERE NOT is_product) AS non_product
  FROM curated.commerce_checked
)
SELECT 0 AS step, 'input' AS rule, 'order lines after event_id deduplication' AS description, 'input' AS action, input AS rows, input AS rows_matching FROM n
UNION ALL
SELECT r.step, r.rule, r.description, 'removed',
       [removed_1, removed_2, removed_3, removed_4][r.step], [matching_1, matching_2, matching_3, matching_4][r.step]
FROM rules r, n
UNION ALL
SELECT 5, 'kept', 'clean sales lines (curated.commerce_lines)', 'kept', kept, kept FROM n
UNION ALL
SELECT 6, 'non_product_code', 'postage, fees, manual and adjustment codes: kept in sales, out of product analytics', 'flagged', kept_non_product, non_product FROM n
ORDER BY step
