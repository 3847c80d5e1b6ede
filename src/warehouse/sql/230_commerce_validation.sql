-- table: curated.commerce_validation
-- merge: step
-- delta: sum(rows, rows_matching) in g
-- The data validation report: for each cleaning rule, the rows it removed (charged to the first
-- rule a line fails, in rule order, so removed rows + kept rows = input rows) and the rows that
-- match it at all (a line can match several); then the kept total, and the non-product lines
-- kept in sales but flagged out of product analytics.
-- All of it from one pass over the checked lines, unpivoted to a row per step: counts, so an
-- incremental build adds the changed lines' counts to the stored ones (by-delta.ts, the step
-- the key) instead of counting every line again.
WITH g AS (
  SELECT step, sum(n)::BIGINT AS rows, sum(matching)::BIGINT AS rows_matching FROM (
    SELECT unnest([0, 1, 2, 3, 4, 5, 6]) AS step,
           unnest([input, removed_1, removed_2, removed_3, removed_4, kept, kept_non_product]) AS n,
           unnest([input, matching_1, matching_2, matching_3, matching_4, kept, non_product]) AS matching
    FROM (
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
  ) GROUP BY step
), rules AS (
  SELECT * FROM (VALUES
    (0, 'input', 'order lines after event_id deduplication', 'input'),
    (1, 'cancellation', 'invoice number starts with C', 'removed'),
    (2, 'missing_customer', 'no customer id', 'removed'),
    (3, 'non_positive_quantity', 'quantity <= 0', 'removed'),
    (4, 'non_positive_price', 'unit price <= 0', 'removed'),
    (5, 'kept', 'clean sales lines (curated.commerce_lines)', 'kept'),
    (6, 'non_product_code', 'postage, fees, manual and adjustment codes: kept in sales, out of product analytics', 'flagged'))
    AS r(step, rule, description, action)
)
SELECT g.step, r.rule, r.description, r.action, g.rows, g.rows_matching
FROM g JOIN rules r USING (step)
ORDER BY step
