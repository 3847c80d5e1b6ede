// Customer features for a cutoff, built only from sales lines strictly before it (the spend
// model's inputs), the spend in the horizon after it (its target), and the all-time RFM table
// the segmentation uses. The cutoff is the one filter every feature query goes through, so a
// purchase on or after it cannot reach a feature (test/analytics/retail-features.test.ts).
import type { Matrix } from '../../ml/core/matrix.ts';
import type { Warehouse } from '../../warehouse/session.ts';

const LINES = 'curated.commerce_lines';
const DAY = 86_400;

export interface CustomerTable {
  ids: string[];
  columns: string[];
  X: Matrix;
  /** the spend in the 90 days before the cutoff: the "same as last 90 days" baseline */
  last90: Float64Array;
  country: string[];
}

export const BASE_FEATURES = ['recency_days', 'frequency', 'monetary', 'tenure_days', 'avg_ticket', 'last_90d_spend', 'last_90d_invoices', 'log_monetary'] as const;

/**
 * A query's result as columns, BIGINT as number: the per-customer results here run to tens of
 * thousands of rows per query, which DuckDB hands over as columns in about half the time it
 * builds row objects in.
 */
async function queryColumns(wh: Warehouse, sql: string): Promise<Record<string, unknown[]>> {
  const cols = (await wh.conn.runAndReadAll(sql)).getColumnsObjectJS() as Record<string, unknown[]>;
  for (const k in cols) if (cols[k]!.some((v) => typeof v === 'bigint')) cols[k] = cols[k]!.map((v) => (typeof v === 'bigint' ? Number(v) : v));
  return cols;
}

function ts(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new Error('cutoff: invalid date');
  return `TIMESTAMPTZ '${d.toISOString()}'`;
}

/** Product categories present in the clean lines, sorted (the category-mix columns). */
export async function productCategories(wh: Warehouse): Promise<string[]> {
  const r = await wh.query<{ category: string }>(`SELECT DISTINCT category FROM ${LINES} WHERE is_product ORDER BY category`);
  return r.map((x) => x.category);
}

/** Countries with the most customers before the cutoff (the one-hot country columns). */
export async function topCountries(wh: Warehouse, cutoff: Date, n = 5): Promise<string[]> {
  const r = await wh.query<{ country: string }>(`
    SELECT country FROM (SELECT customer_id, mode(country) AS country FROM ${LINES} WHERE ts < ${ts(cutoff)} GROUP BY 1)
    GROUP BY 1 ORDER BY count(*) DESC, country LIMIT ${n}`);
  return r.map((x) => x.country);
}

/**
 * One row per customer with a purchase before the cutoff: recency, frequency (invoices),
 * monetary, tenure, average ticket, the last 90 days' spend and invoices, category-mix shares of
 * product revenue, and one-hot countries (the rest is all zeros).
 */
export async function customerFeatures(wh: Warehouse, opts: { cutoff: Date; categories: string[]; countries: string[] }): Promise<CustomerTable> {
  const c = ts(opts.cutoff);
  const r = await queryColumns(wh, `
    WITH l AS (SELECT customer_id, invoice_no, ts, revenue, country FROM ${LINES} WHERE ts < ${c}),
    inv AS (SELECT customer_id, invoice_no, min(ts) AS ts, sum(revenue) AS rev FROM l GROUP BY ALL),
    b AS (
      SELECT customer_id, epoch(${c} - max(ts)) / ${DAY} AS recency_days, count(*) AS frequency, sum(rev) AS monetary,
             epoch(${c} - min(ts)) / ${DAY} AS tenure_days, avg(rev) AS avg_ticket,
             coalesce(sum(rev) FILTER (WHERE ts >= ${c} - INTERVAL 90 DAY), 0) AS last_90d_spend,
             count(*) FILTER (WHERE ts >= ${c} - INTERVAL 90 DAY) AS last_90d_invoices
      FROM inv GROUP BY customer_id),
    h AS (SELECT customer_id, mode(country) AS country FROM l GROUP BY customer_id)
    SELECT b.*, h.country FROM b JOIN h USING (customer_id) ORDER BY customer_id`);
  const mix = await queryColumns(wh, `
    SELECT customer_id, category, sum(revenue) / sum(sum(revenue)) OVER (PARTITION BY customer_id) AS share
    FROM ${LINES} WHERE ts < ${c} AND is_product GROUP BY customer_id, category`);
  const ids = r.customer_id!.map(String);
  const index = new Map(ids.map((id, i) => [id, i]));
  const catCol = new Map(opts.categories.map((k, j) => [k, j]));
  const columns = [...BASE_FEATURES, ...opts.categories.map((k) => `mix_${k}`), ...opts.countries.map((k) => `country_${k}`)];
  const d = columns.length, nb = BASE_FEATURES.length, nc = opts.categories.length;
  const X = new Float64Array(ids.length * d);
  const last90 = new Float64Array(ids.length);
  const country: string[] = [];
  const col = (name: string) => r[name]!;
  const [rec, freq, mon, ten, tick, l90, l90i, ctry] = ['recency_days', 'frequency', 'monetary', 'tenure_days', 'avg_ticket', 'last_90d_spend', 'last_90d_invoices', 'country'].map(col) as unknown[][];
  for (let i = 0; i < ids.length; i++) {
    const o = i * d;
    X[o] = Number(rec![i]); X[o + 1] = Number(freq![i]); X[o + 2] = Number(mon![i]);
    X[o + 3] = Number(ten![i]); X[o + 4] = Number(tick![i]); X[o + 5] = Number(l90![i]);
    X[o + 6] = Number(l90i![i]); X[o + 7] = Math.log1p(Math.max(0, Number(mon![i])));
    last90[i] = Number(l90![i]);
    const ci = opts.countries.indexOf(String(ctry![i]));
    if (ci >= 0) X[o + nb + nc + ci] = 1;
    country.push(String(ctry![i]));
  }
  const mc = mix.customer_id!, mk = mix.category!, ms = mix.share!;
  for (let t = 0; t < mc.length; t++) {
    const i = index.get(String(mc[t])), j = catCol.get(String(mk[t]));
    if (i !== undefined && j !== undefined) X[i * d + nb + j] = Number(ms[t]);
  }
  return { ids, columns, X: { rows: ids.length, cols: d, data: X }, last90, country };
}

/** Each customer's spend in [cutoff, cutoff + days), 0 for those who did not buy. */
export async function spendAfter(wh: Warehouse, ids: string[], cutoff: Date, days = 90): Promise<Float64Array> {
  const c = ts(cutoff);
  const r = await queryColumns(wh, `
    SELECT customer_id, sum(revenue) AS spend FROM ${LINES}
    WHERE ts >= ${c} AND ts < ${c} + INTERVAL ${days} DAY GROUP BY customer_id`);
  const by = new Map(r.customer_id!.map((id, t) => [String(id), Number(r.spend![t])]));
  return Float64Array.from(ids, (id) => by.get(id) ?? 0);
}

export interface RfmTable {
  ids: string[];
  /** n x 3: recency (whole days before the day after the last sale), frequency (invoices), monetary */
  rfm: Matrix;
  /** n x categories: product revenue shares */
  mix: Matrix;
  categories: string[];
  country: string[];
}

/**
 * All-time RFM as the scikit-learn anchor computes it (segmentation_sklearn.py): reference =
 * last sale + 1 day, recency = whole days from a customer's last sale to it, frequency =
 * distinct invoices, monetary = revenue; plus the category mix.
 */
export async function rfmTable(wh: Warehouse, categories?: string[]): Promise<RfmTable> {
  const cats = categories ?? await productCategories(wh);
  const rows = await wh.query<{ customer_id: string; recency: number; frequency: number; monetary: number; country: string }>(`
    WITH ref AS (SELECT max(ts) + INTERVAL 1 DAY AS r FROM ${LINES})
    SELECT customer_id, floor(epoch(any_value(ref.r) - max(ts)) / ${DAY}) AS recency,
           count(DISTINCT invoice_no) AS frequency, sum(revenue) AS monetary, mode(country) AS country
    FROM ${LINES}, ref GROUP BY customer_id ORDER BY customer_id`);
  const mixRows = await queryColumns(wh, `
    SELECT customer_id, category, sum(revenue) / sum(sum(revenue)) OVER (PARTITION BY customer_id) AS share
    FROM ${LINES} WHERE is_product GROUP BY customer_id, category`);
  const ids = rows.map((r) => String(r.customer_id));
  const index = new Map(ids.map((id, i) => [id, i]));
  const catCol = new Map(cats.map((k, j) => [k, j]));
  const rfm = new Float64Array(ids.length * 3);
  rows.forEach((r, i) => { rfm[3 * i] = Number(r.recency); rfm[3 * i + 1] = Number(r.frequency); rfm[3 * i + 2] = Number(r.monetary); });
  const mix = new Float64Array(ids.length * cats.length);
  const mc = mixRows.customer_id!, mk = mixRows.category!, ms = mixRows.share!;
  for (let t = 0; t < mc.length; t++) {
    const i = index.get(String(mc[t])), j = catCol.get(String(mk[t]));
    if (i !== undefined && j !== undefined) mix[i * cats.length + j] = Number(ms[t]);
  }
  return {
    ids, categories: cats, country: rows.map((r) => String(r.country)),
    rfm: { rows: ids.length, cols: 3, data: rfm }, mix: { rows: ids.length, cols: cats.length, data: mix },
  };
}
