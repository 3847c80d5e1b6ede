// Per-column statistics of a materialised table (see source.ts), computed in DuckDB: missing and
// distinct for every column in one scan, then per column its family's statistics: summary
// numbers, outliers by IQR and z-score and a histogram (integer-aware) for numbers, rows per
// month for times, top values for categories (and for numbers only when they are few and
// discrete: the top values of a continuous column say nothing).
import { identifierLikeColumn } from '../../ml/data/feature-selection.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { histogramEdges } from './ticks.ts';
import { num, q, type Materialized } from './source.ts';

export type ColumnKind = 'numeric' | 'time' | 'boolean' | 'text';

export interface Histogram { edges: number[]; counts: number[]; integer: boolean }

export interface NumericStats {
  min: number; max: number; mean: number; std: number; q1: number; median: number; q3: number; skew: number;
  /** every value a whole number (integer types, and e.g. 17850.0 read as a double) */
  integer: boolean;
  histogram: Histogram;
  outliers_iqr: { low: number; high: number; count: number; share: number };
  outliers_z: { threshold: number; count: number; share: number };
  zeros: number; negatives: number;
}

export interface ColumnProfile {
  name: string;
  type: string;
  kind: ColumnKind;
  rows: number;
  missing: number;
  missing_share: number;
  distinct: number;
  /** most frequent values (empty for continuous numbers); booleans as the file spells them */
  top: { value: string; count: number }[];
  numeric?: NumericStats;
  time?: { min: string; max: string; days: number; months: { month: string; count: number }[]; empty_months: number };
}

/** Training's rule for a column that identifies rows (ml/data/feature-selection.ts), on a profile. */
export function identifierLike(c: ColumnProfile): boolean {
  return c.kind !== 'time' && c.kind !== 'boolean'
    && identifierLikeColumn(c.name, { numeric: c.kind === 'numeric', distinct: c.distinct, nonMissing: c.rows - c.missing, rows: c.rows });
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|REAL|DOUBLE|DECIMAL.*)$/i;
const INTEGER_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/i;
const TIME = /^(DATE|TIMESTAMP.*|TIME.*)$/i;

export function columnKind(type: string): ColumnKind {
  if (NUMERIC.test(type)) return 'numeric';
  if (TIME.test(type)) return 'time';
  if (/^BOOLEAN$/i.test(type)) return 'boolean';
  return 'text';
}

/** At most this many distinct values make a number discrete enough for a top-values list. */
export const DISCRETE_MAX = 25;

export interface ColumnOptions { bins: number; top: number; zThreshold: number }

export async function profileColumns(wh: Warehouse, m: Materialized, opts: ColumnOptions, each?: (done: number) => void): Promise<ColumnProfile[]> {
  const basic = (await wh.query<Record<string, unknown>>(`SELECT ${m.columns.map((c, i) =>
    `count(${q(c.name)})::BIGINT AS n${i}, count(DISTINCT ${q(c.name)})::BIGINT AS d${i}`).join(', ')} FROM ${m.tmp}`))[0]!;
  const out: ColumnProfile[] = [];
  for (const [i, c] of m.columns.entries()) {
    const kind = columnKind(c.type);
    const present = Number(basic[`n${i}`]);
    const distinct = Number(basic[`d${i}`]);
    const p: ColumnProfile = {
      name: c.name, type: c.type, kind, rows: m.rows, missing: m.rows - present, missing_share: m.rows ? (m.rows - present) / m.rows : 0,
      distinct, top: [],
    };
    if (kind === 'numeric' && present > 0) p.numeric = await numericStats(wh, m.tmp, c.name, INTEGER_TYPE.test(c.type), opts);
    if (kind === 'time' && present > 0) p.time = await timeStats(wh, m.tmp, c.name);
    if (kind !== 'numeric' || distinct <= DISCRETE_MAX) p.top = await topValues(wh, m.tmp, c.name, kind, opts.top);
    out.push(p);
    each?.(i + 1);
  }
  return out;
}

async function topValues(wh: Warehouse, tmp: string, name: string, kind: ColumnKind, n: number): Promise<ColumnProfile['top']> {
  // numbers keep their order as numbers among equal counts (10 after 9, not after 1)
  const rows = await wh.query<{ v: unknown; count: number }>(`
    SELECT ${kind === 'time' ? `CAST(${q(name)} AS VARCHAR)` : q(name)} AS v, count(*)::BIGINT AS count FROM ${tmp}
    WHERE ${q(name)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${n}`);
  return rows.map((r) => ({ value: kind === 'numeric' ? String(Number(r.v)) : String(r.v), count: Number(r.count) }));
}

async function numericStats(wh: Warehouse, tmp: string, name: string, integerType: boolean, opts: ColumnOptions): Promise<NumericStats> {
  const c = `CAST(${q(name)} AS DOUBLE)`;
  const [s] = await wh.query<Record<string, unknown>>(`
    SELECT min(${c}) AS min, max(${c}) AS max, avg(${c}) AS mean, stddev_pop(${c}) AS std,
           quantile_cont(${c}, 0.25) AS q1, median(${c}) AS median, quantile_cont(${c}, 0.75) AS q3,
           skewness(${c}) AS skew, count(*) FILTER (WHERE ${c} = 0)::BIGINT AS zeros, count(*) FILTER (WHERE ${c} < 0)::BIGINT AS negatives,
           count(*) FILTER (WHERE ${c} <> round(${c}))::BIGINT AS fractional, count(${c})::BIGINT AS n
    FROM ${tmp}`);
  const st = { min: num(s!.min), max: num(s!.max), mean: num(s!.mean), std: num(s!.std), q1: num(s!.q1), median: num(s!.median), q3: num(s!.q3) };
  const n = Number(s!.n);
  const integer = integerType || Number(s!.fractional) === 0;
  const iqr = st.q3 - st.q1, low = st.q1 - 1.5 * iqr, high = st.q3 + 1.5 * iqr;
  const [o] = await wh.query<{ iqr: number; z: number }>(`
    SELECT count(*) FILTER (WHERE ${c} < ${low} OR ${c} > ${high})::BIGINT AS iqr,
           count(*) FILTER (WHERE ${st.std > 0 ? `abs(${c} - ${st.mean}) / ${st.std} > ${opts.zThreshold}` : 'false'})::BIGINT AS z
    FROM ${tmp} WHERE ${c} IS NOT NULL`);
  // the histogram spans the whisker range (outliers are counted above), so one extreme value
  // does not squeeze every other row into a single bar; values outside fall in the end bins
  const lo = Math.max(st.min, low), hi = Math.min(st.max, high);
  const edges = histogramEdges(lo, hi > lo ? hi : lo, opts.bins, integer);
  const histogram = { edges, counts: await binCounts(wh, tmp, name, edges), integer };
  return {
    ...st, skew: num(s!.skew), integer, histogram, zeros: Number(s!.zeros), negatives: Number(s!.negatives),
    outliers_iqr: { low, high, count: Number(o!.iqr), share: n ? Number(o!.iqr) / n : 0 },
    outliers_z: { threshold: opts.zThreshold, count: Number(o!.z), share: n ? Number(o!.z) / n : 0 },
  };
}

/**
 * Rows per bin of `edges` (values below the first edge count in the first bin, above the last in
 * the last); a single edge pair of equal ends is one bin holding every value.
 */
export async function binCounts(wh: Warehouse, tmp: string, name: string, edges: number[]): Promise<number[]> {
  const c = `CAST(${q(name)} AS DOUBLE)`;
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  const lo = edges[0]!, hi = edges[bins]!;
  if (!(hi > lo)) {
    const [r] = await wh.query<{ n: number }>(`SELECT count(${c})::BIGINT AS n FROM ${tmp}`);
    counts[0] = Number(r!.n);
    return counts;
  }
  // edges are equally spaced: the bin is arithmetic, not a search
  const w = (hi - lo) / bins;
  const rows = await wh.query<{ b: number; count: number }>(`
    SELECT least(${bins - 1}, greatest(0, floor((${c} - ${lo}) / ${w})))::INTEGER AS b, count(*)::BIGINT AS count
    FROM ${tmp} WHERE ${c} IS NOT NULL AND NOT isnan(${c}) GROUP BY 1`);
  for (const r of rows) counts[Number(r.b)] = Number(r.count);
  return counts;
}

async function timeStats(wh: Warehouse, tmp: string, name: string): Promise<NonNullable<ColumnProfile['time']>> {
  const c = q(name);
  const [b] = await wh.query<{ lo: string; hi: string; days: number }>(`
    SELECT CAST(min(${c}) AS VARCHAR) AS lo, CAST(max(${c}) AS VARCHAR) AS hi,
           date_diff('second', CAST(min(${c}) AS TIMESTAMP), CAST(max(${c}) AS TIMESTAMP)) / 86400 AS days FROM ${tmp}`);
  const months = await wh.query<{ month: string; count: number }>(`
    WITH b AS (SELECT date_trunc('month', min(${c})) AS lo, date_trunc('month', max(${c})) AS hi FROM ${tmp}),
    g AS (SELECT unnest(generate_series(CAST(lo AS TIMESTAMP), CAST(hi AS TIMESTAMP), INTERVAL 1 MONTH)) AS m FROM b),
    p AS (SELECT CAST(date_trunc('month', ${c}) AS TIMESTAMP) AS m, count(*) AS n FROM ${tmp} WHERE ${c} IS NOT NULL GROUP BY 1)
    SELECT strftime(g.m, '%Y-%m') AS month, coalesce(p.n, 0)::BIGINT AS count FROM g LEFT JOIN p USING (m) ORDER BY g.m`);
  const days = Number(b!.days) || 0;
  const ms = months.map((m) => ({ month: String(m.month), count: Number(m.count) }));
  return { min: String(b!.lo), max: String(b!.hi), days, months: ms, empty_months: ms.filter((m) => m.count === 0).length };
}
