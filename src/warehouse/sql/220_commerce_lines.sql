-- table: curated.commerce_lines
-- merge: event_id
-- scope: day
-- partition: day
-- The clean sales lines: order lines that pass every cleaning rule (210_commerce_checked.sql).
-- KPIs, forecasts, spend features and segments all read this table.
SELECT * EXCLUDE (rejected_by) FROM curated.commerce_checked WHERE rejected_by IS NULL
