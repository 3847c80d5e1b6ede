-- table: curated.commerce_validation
-- The data validation report: for each cleaning rule, the rows it removed (charged to the first
-- rule a line fails, in rule order, so removed rows + kept rows = input rows) and the rows that
-- match it at all (a line can match several); then the kept total, and the non-product lines
-- kept in sales but flagged out of product analytics.
WITH rules AS (
  SELECT * FROM (VALUES
    (1, 'cancellation', 'invoice number starts with C'),
    (2, 'missing_customer', 'no customer id'),
    (3, 'non_positive_quantity', 'quantity <= 0'),
    (4, 'non_positive_price', 'unit price <= 0')) AS r(step, rule, description)
), c AS (SELECT * FROM curated.commerce_checked)
SELECT 0 AS step, 'input' AS rule, 'order lines after event_id deduplication' AS description, 'input' AS action,
       (SELECT count(*) FROM c) AS rows, (SELECT count(*) FROM c) AS rows_matching
UNION ALL
SELECT r.step, r.rule, r.description, 'removed',
       (SELECT count(*) FROM c WHERE c.rejected_by = r.rule),
       (SELECT count(*) FROM c WHERE CASE r.rule
          WHEN 'cancellation' THEN starts_with(c.invoice_no, 'C')
          WHEN 'missing_customer' THEN c.customer_id IS NULL
          WHEN 'non_positive_quantity' THEN c.quantity <= 0
          ELSE c.unit_price <= 0 END)
FROM rules r
UNION ALL
SELECT 5, 'kept', 'clean sales lines (curated.commerce_lines)', 'kept',
       (SELECT count(*) FROM c WHERE rejected_by IS NULL), (SELECT count(*) FROM c WHERE rejected_by IS NULL)
UNION ALL
SELECT 6, 'non_product_code', 'postage, fees, manual and adjustment codes: kept in sales, out of product analytics', 'flagged',
       (SELECT count(*) FROM c WHERE rejected_by IS NULL AND NOT is_product), (SELECT count(*) FROM c WHERE NOT is_product)
ORDER BY step
