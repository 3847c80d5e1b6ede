// The sales aggregates the dashboard answers from, made in the dashboard session's memory at each
// new snapshot of the sales lines or the segments (DashboardData's derived tables). Each has the
// filters' columns (month, country, category, segment), so any filter is a WHERE on a table of a
// few thousand rows instead of a scan of the 400,000 lines, and each is at a grain where its
// counts add up exactly under any filter: an invoice has one month, country and customer (so one
// segment), and is counted once per category it has lines in plus once in its `all_categories`
// row; distinct customers are counted from rows that keep the customer.
import type { DerivedTable } from './data.ts';

export const LINES = 'curated.commerce_lines';
export const SEGMENTS = 'curated.commerce_segments';

/** Each customer's segment when the segments exist, else none (the segment filter then matches nothing). */
const segmentOf = (has: (t: string) => boolean) => has(SEGMENTS)
  ? `LEFT JOIN (SELECT customer_id, any_value(segment) AS segment FROM ${SEGMENTS} GROUP BY 1) s USING (customer_id)`
  : 'LEFT JOIN (SELECT NULL AS customer_id, NULL::BIGINT AS segment WHERE false) s USING (customer_id)';

/** One row per invoice and category (with the invoice's customer, country and segment): a fifth of the lines. */
export const SALES_ROLLUP: DerivedTable = {
  table: 'dash.sales',
  from: [LINES, SEGMENTS],
  sql: (has) => `SELECT l.*, s.segment, CAST(date_trunc('month', l.day) AS DATE) AS month FROM (
        SELECT invoice_no, customer_id, country, category, min(day) AS day, min(ts) AS ts,
               sum(revenue) AS revenue, count(*) AS lines, sum(quantity) AS units
        FROM ${LINES} GROUP BY invoice_no, customer_id, country, category) l ${segmentOf(has)}`,
};

/**
 * Invoices: one row per invoice (`all_categories`, its whole revenue) and one per invoice and
 * category (that category's lines only), so a filter with a category and one without both see
 * one row per invoice: the outliers' and churn's rows.
 */
export const INVOICES: DerivedTable = {
  table: 'dash.invoices',
  from: [LINES, SEGMENTS],
  sql: () => `SELECT invoice_no, any_value(customer_id) AS customer_id, any_value(country) AS country, any_value(segment) AS segment,
                     grouping(category) = 1 AS all_categories, category, min(month) AS month, min(day) AS day, min(ts) AS ts,
                     sum(revenue) AS revenue, sum(units) AS units
              FROM ${SALES_ROLLUP.table} GROUP BY GROUPING SETS ((invoice_no), (invoice_no, category))`,
};

/** Revenue and invoices per month, country, category (or all) and segment: sums of it are exact. */
export const SALES_CUBE: DerivedTable = {
  table: 'dash.sales_cube',
  from: [LINES, SEGMENTS],
  sql: () => `SELECT all_categories, category, country, segment, month, sum(revenue) AS revenue, count(*) AS invoices
              FROM ${INVOICES.table} GROUP BY ALL`,
};

/** The customers who bought in each month, country, category (or all) and segment: distinct counts of customers. */
export const CUSTOMER_MONTHS: DerivedTable = {
  table: 'dash.customer_months',
  from: [LINES, SEGMENTS],
  sql: () => `SELECT DISTINCT all_categories, category, country, segment, month, customer_id FROM ${INVOICES.table}`,
};

/**
 * Churn's inputs at every cutoff (each month start whose following 90 days lie in the data, as
 * curated.commerce_churn): per customer and filter cell, whether they bought before the cutoff
 * (active) and in the 90 days from it (returned). A customer of a filter is active when any of
 * their cells in it is, and returned likewise.
 */
export const CHURN_BASE: DerivedTable = {
  table: 'dash.churn_base',
  from: [LINES, SEGMENTS],
  sql: () => `WITH b AS (SELECT min(ts) AS lo, max(ts) AS hi FROM ${INVOICES.table}),
              cut AS (SELECT unnest(generate_series(date_trunc('month', lo) + INTERVAL 1 MONTH, hi - INTERVAL 90 DAY, INTERVAL 1 MONTH)) AS cutoff FROM b)
              SELECT c.cutoff, CAST(c.cutoff AS DATE) AS cutoff_day, i.all_categories, i.category, i.country, i.segment, i.customer_id,
                     bool_or(i.ts < c.cutoff) AS active, bool_or(i.ts >= c.cutoff AND i.ts < c.cutoff + INTERVAL 90 DAY) AS returned
              FROM cut c CROSS JOIN ${INVOICES.table} i GROUP BY ALL HAVING active OR returned`,
};

/** Product revenue and units per product, month, country, category and segment (postage and fees left out). */
export const PRODUCT_SALES: DerivedTable = {
  table: 'dash.product_sales',
  from: [LINES, SEGMENTS],
  // every row is one category's (as the rows of the other tables that are not all_categories)
  sql: (has) => `SELECT l.stock_code, false AS all_categories, l.category, l.country, s.segment, CAST(date_trunc('month', l.day) AS DATE) AS month,
                        sum(l.revenue) AS revenue, CAST(sum(l.quantity) AS DOUBLE) AS units
                 FROM ${LINES} l ${segmentOf(has)} WHERE l.is_product GROUP BY ALL`,
};

/** One row per product: its most frequent description and category. */
export const PRODUCTS: DerivedTable = {
  table: 'dash.products',
  from: [LINES],
  sql: () => `SELECT stock_code, mode(description) AS description, mode(category) AS category FROM ${LINES} WHERE is_product GROUP BY 1`,
};

/**
 * A table's rows of whole invoices (`_all`) and of single categories (`_by_category`) apart: a
 * filter reads one of them, so a view without a category scans a sixth of the rows.
 */
function splitByCategory(t: DerivedTable): DerivedTable[] {
  return [
    { table: `${t.table}_all`, from: t.from, sql: () => `SELECT * FROM ${t.table} WHERE all_categories` },
    { table: `${t.table}_by_category`, from: t.from, sql: () => `SELECT * FROM ${t.table} WHERE NOT all_categories` },
  ];
}

/** The part of a split table (splitByCategory) a filter reads: with a category (or a breakdown by category), the categories' rows. */
export function cellTable(t: DerivedTable, f: { category?: string }, opts: { categories?: 'each' } = {}): string {
  return f.category !== undefined || opts.categories === 'each' ? `${t.table}_by_category` : `${t.table}_all`;
}

/** In the order they are made (later ones read earlier ones). */
export const SALES_TABLES = [
  SALES_ROLLUP, INVOICES, ...splitByCategory(INVOICES), SALES_CUBE, CUSTOMER_MONTHS, ...splitByCategory(CUSTOMER_MONTHS),
  CHURN_BASE, ...splitByCategory(CHURN_BASE), PRODUCT_SALES, PRODUCTS,
];
