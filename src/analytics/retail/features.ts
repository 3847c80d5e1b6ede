// Customer features for a cutoff, built only from sales lines strictly before it (the spend
// model's inputs), the spend in the horizon after it (its target), and the all-time RFM table
// the segmentation uses. The cutoff is the one filter every feature query goes through, so a
// purchase on or after it cannot reach a feature (test/analytics/retail-features.test.ts).
import type { Matrix } from '../../ml/core/matrix.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { sqlString } from '../../lake/duck.ts';
import { EXACT_REVENUE } from './revenue-sql.ts';

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

export const BASE_FEATURES = [
  'recency_days',
  'frequency',
  'monetary',
  'tenure_days',
  'avg_ticket',
  'last_90d_spend',
  'last_90d_invoices',
  'log_monetary',
] as const;

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

/** Countries with the most customers before the cutoff (the one-hot country columns; a customer's country as in customerFeaturesAt). */
export async function topCountries(wh: Warehouse, cutoff: Date, n = 5): Promise<string[]> {
  const r = await wh.query<{ country: string }>(`
    SELECT country FROM (
      SELECT customer_id, first(country ORDER BY n DESC, since, country) AS country
      FROM (SELECT customer_id, country, count(*) AS n, min(ts) AS since FROM ${LINES} WHERE ts < ${ts(cutoff)} GROUP BY ALL) GROUP BY 1)
    GROUP BY 1 ORDER BY count(*) DESC, country LIMIT ${n}`);
  return r.map((x) => x.country);
}

/**
 * One row per customer with a purchase before the cutoff: recency, frequency (invoices),
 * monetary, tenure, average ticket, the last 90 days' spend and invoices, category-mix shares of
 * product revenue, and one-hot countries (the rest is all zeros).
 */
export async function customerFeatures(wh: Warehouse, opts: { cutoff: Date; categories: string[]; countries: string[] }): Promise<CustomerTable> {
  return (await customerFeaturesAt(wh, [opts.cutoff], opts))[0]!;
}

/**
 * The cutoffs as a VALUES list (k, cutoff, its epoch microseconds `us`, and cutoff + `days` days
 * as `until`), and the latest of them. Durations are computed on epoch microseconds: subtracting
 * or adding to a TIMESTAMPTZ per row goes through a time-zone calendar (half a microsecond a row,
 * more than the rest of these queries), and in UTC the two agree exactly.
 */
function cutoffValues(cutoffs: Date[], days = 0): { values: string; latest: string } {
  if (!cutoffs.length) throw new Error('cutoffs: none given');
  const latest = new Date(Math.max(...cutoffs.map((c) => c.getTime())));
  const rows = cutoffs.map((c, k) => `(${k}, ${ts(c)}, ${c.getTime() * 1000}, ${ts(new Date(c.getTime() + days * 86_400_000))})`);
  return { values: `(VALUES ${rows.join(', ')}) AS cut(k, cutoff, us, until)`, latest: ts(latest) };
}

/**
 * customerFeatures at several cutoffs in one pass each over the lines: the lines are first summed
 * per customer and invoice, per customer and country, per customer and product category, each at
 * its time, so every cutoff's features are sums over those few rows (a line's own time decides
 * which side of a cutoff it is on, as before). A customer's country is the one of most of their
 * lines before the cutoff (ties: the one they bought from first, then by name).
 */
export async function customerFeaturesAt(wh: Warehouse, cutoffs: Date[], opts: { categories: string[]; countries: string[] }): Promise<CustomerTable[]> {
  const { values, latest } = cutoffValues(cutoffs);
  // the category mix comes pivoted, each category's product revenue a column (and the total over
  // every category, for the shares): tens of thousands of (customer, category) rows would cost
  // more to hand over than to sum here
  const mixCols = opts.categories.map((c, j) => `CAST(sum(rev) FILTER (WHERE category = ${sqlString(c)}) AS DOUBLE) AS c${j}`);
  const r = await queryColumns(wh, `
    WITH inv AS (SELECT customer_id, invoice_no, ts, sum(${EXACT_REVENUE}) AS rev FROM ${LINES} WHERE ts < ${latest} GROUP BY ALL),
    i AS (SELECT k, us, customer_id, invoice_no, min(ts) AS ts, sum(rev) AS rev FROM inv JOIN ${values} ON inv.ts < cut.cutoff GROUP BY ALL),
    b AS (
      SELECT k, customer_id, (us - epoch_us(max(ts))) / 1e6 / ${DAY} AS recency_days, count(*) AS frequency, CAST(sum(rev) AS DOUBLE) AS monetary,
             (us - epoch_us(min(ts))) / 1e6 / ${DAY} AS tenure_days, CAST(avg(rev) AS DOUBLE) AS avg_ticket,
             CAST(coalesce(sum(rev) FILTER (WHERE epoch_us(ts) >= us - ${90 * DAY * 1e6}), 0) AS DOUBLE) AS last_90d_spend,
             count(*) FILTER (WHERE epoch_us(ts) >= us - ${90 * DAY * 1e6}) AS last_90d_invoices
      FROM i GROUP BY k, us, customer_id),
    ctry AS (SELECT customer_id, country, ts, count(*) AS n FROM ${LINES} WHERE ts < ${latest} GROUP BY ALL),
    h AS (
      SELECT k, customer_id, first(country ORDER BY n DESC, since, country) AS country
      FROM (SELECT k, customer_id, country, sum(n) AS n, min(ts) AS since FROM ctry JOIN ${values} ON ctry.ts < cut.cutoff GROUP BY ALL)
      GROUP BY k, customer_id),
    m AS (SELECT customer_id, category, ts, sum(${EXACT_REVENUE}) AS rev FROM ${LINES} WHERE is_product AND ts < ${latest} GROUP BY ALL),
    mx AS (
      SELECT k, customer_id, CAST(sum(rev) AS DOUBLE) AS product_revenue${mixCols.map((c) => `, ${c}`).join('')}
      FROM m JOIN ${values} ON m.ts < cut.cutoff GROUP BY k, customer_id)
    SELECT * FROM b JOIN h USING (k, customer_id) LEFT JOIN mx USING (k, customer_id) ORDER BY k, customer_id`);
  const columns = [...BASE_FEATURES, ...opts.categories.map((c) => `mix_${c}`), ...opts.countries.map((c) => `country_${c}`)];
  const d = columns.length, nb = BASE_FEATURES.length, nc = opts.categories.length;
  const [kk, id, rec, freq, mon, ten, tick, l90, l90i, ctry, prod] = [
    'k',
    'customer_id',
    'recency_days',
    'frequency',
    'monetary',
    'tenure_days',
    'avg_ticket',
    'last_90d_spend',
    'last_90d_invoices',
    'country',
    'product_revenue',
  ].map((c) => r[c]!) as unknown[][];
  const mix = opts.categories.map((_, j) => r[`c${j}`]!);
  // rows come ordered by cutoff, then customer: each cutoff's table is one run of them
  const out: CustomerTable[] = [];
  let at = 0;
  for (let k = 0; k < cutoffs.length; k++) {
    let end = at;
    while (end < kk!.length && Number(kk![end]) === k) end++;
    const n = end - at;
    const ids = id!.slice(at, end).map(String);
    const X = new Float64Array(n * d), last90 = new Float64Array(n), country: string[] = [];
    for (let i = 0; i < n; i++) {
      const o = i * d, s = at + i;
      X[o] = Number(rec![s]); X[o + 1] = Number(freq![s]); X[o + 2] = Number(mon![s]);
      X[o + 3] = Number(ten![s]); X[o + 4] = Number(tick![s]); X[o + 5] = Number(l90![s]);
      X[o + 6] = Number(l90i![s]); X[o + 7] = Math.log1p(Math.max(0, Number(mon![s])));
      last90[i] = Number(l90![s]);
      // shares of product revenue; no product bought: all zeros
      const total = prod![s] == null ? 0 : Number(prod![s]);
      if (total !== 0) for (let j = 0; j < nc; j++) if (mix[j]![s] != null) X[o + nb + j] = Number(mix[j]![s]) / total;
      const ci = opts.countries.indexOf(String(ctry![s]));
      if (ci >= 0) X[o + nb + nc + ci] = 1;
      country.push(String(ctry![s]));
    }
    out.push({ ids, columns, X: { rows: n, cols: d, data: X }, last90, country });
    at = end;
  }
  return out;
}

/** Each customer's spend in [cutoff, cutoff + days), 0 for those who did not buy. */
export async function spendAfter(wh: Warehouse, ids: string[], cutoff: Date, days = 90): Promise<Float64Array> {
  return (await spendAfterAt(wh, [{ cutoff, ids }], days))[0]!;
}

/** spendAfter at several cutoffs, in one pass over the lines. */
export async function spendAfterAt(wh: Warehouse, at: { cutoff: Date; ids: string[] }[], days = 90): Promise<Float64Array[]> {
  const { values } = cutoffValues(at.map((a) => a.cutoff), days);
  const lo = ts(new Date(Math.min(...at.map((a) => a.cutoff.getTime()))));
  const hi = ts(new Date(Math.max(...at.map((a) => a.cutoff.getTime())) + days * 86_400_000));
  const r = await queryColumns(wh, `
    WITH s AS (SELECT customer_id, ts, sum(${EXACT_REVENUE}) AS rev FROM ${LINES} WHERE ts >= ${lo} AND ts < ${hi} GROUP BY ALL)
    SELECT k, customer_id, CAST(sum(rev) AS DOUBLE) AS spend FROM s JOIN ${values} ON s.ts >= cut.cutoff AND s.ts < cut.until
    GROUP BY k, customer_id`);
  const by = at.map(() => new Map<string, number>());
  r.k!.forEach((k, t) => by[Number(k)]!.set(String(r.customer_id![t]), Number(r.spend![t])));
  return at.map((a, k) => Float64Array.from(a.ids, (id) => by[k]!.get(id) ?? 0));
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
  // invoices first (a distinct count per customer over every line costs several times this),
  // the country as in customerFeaturesAt, the category mix pivoted
  const r = await queryColumns(wh, `
    WITH inv AS (SELECT customer_id, invoice_no, max(ts) AS last, sum(${EXACT_REVENUE}) AS rev FROM ${LINES} GROUP BY ALL),
    ref AS (SELECT epoch_us(max(last)) + ${DAY * 1e6} AS r FROM inv),
    b AS (SELECT customer_id, floor((any_value(ref.r) - epoch_us(max(last))) / 1e6 / ${DAY}) AS recency, count(*) AS ` +
      `frequency, CAST(sum(rev) AS DOUBLE) AS monetary
          FROM inv, ref GROUP BY customer_id),
    h AS (SELECT customer_id, first(country ORDER BY n DESC, since, country) AS country
          FROM (SELECT customer_id, country, count(*) AS n, min(ts) AS since FROM ${LINES} GROUP BY ALL) GROUP BY customer_id),
    m AS (SELECT customer_id, category, sum(${EXACT_REVENUE}) AS rev FROM ${LINES} WHERE is_product GROUP BY ALL),
    mx AS (SELECT customer_id, CAST(sum(rev) AS DOUBLE) AS product_revenue${cats.map(
      (c, j) => `, CAST(sum(rev) FILTER (WHERE category = ${sqlString(c)}) AS DOUBLE) AS c${j}`,
    ).join('')}
           FROM m GROUP BY customer_id)
    SELECT * FROM b JOIN h USING (customer_id) LEFT JOIN mx USING (customer_id) ORDER BY customer_id`);
  const ids = r.customer_id!.map(String), n = ids.length, nc = cats.length;
  const rec = r.recency!, freq = r.frequency!, mon = r.monetary!, prod = r.product_revenue!;
  const rfm = new Float64Array(n * 3), mix = new Float64Array(n * nc);
  for (let i = 0; i < n; i++) {
    rfm[3 * i] = Number(rec[i]); rfm[3 * i + 1] = Number(freq[i]); rfm[3 * i + 2] = Number(mon[i]);
    const total = prod[i] == null ? 0 : Number(prod[i]);
    if (total !== 0) for (let j = 0; j < nc; j++) { const v = r[`c${j}`]![i]; if (v != null) mix[i * nc + j] = Number(v) / total; }
  }
  return {
    ids, categories: cats, country: r.country!.map(String),
    rfm: { rows: n, cols: 3, data: rfm }, mix: { rows: n, cols: nc, data: mix },
  };
}
