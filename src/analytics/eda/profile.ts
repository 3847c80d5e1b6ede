// Exploratory profile of one table, computed in DuckDB (one scan per column family, so a
// 500,000-row table profiles in seconds): per column its type, missing share, distinct count,
// distribution (histogram for numbers, per-month counts for times, top values for text),
// outliers by IQR (outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR]) and by z-score (|z| > 3); Pearson
// correlations between numeric columns; the time coverage; and written findings.
import type { Warehouse } from '../../warehouse/session.ts';

export type ColumnKind = 'numeric' | 'time' | 'boolean' | 'text';

export interface Bin { lo: number; hi: number; count: number }

export interface ColumnProfile {
  name: string;
  type: string;
  kind: ColumnKind;
  rows: number;
  missing: number;
  missing_share: number;
  distinct: number;
  top: { value: string; count: number }[];
  numeric?: {
    min: number; max: number; mean: number; std: number; q1: number; median: number; q3: number; skew: number;
    histogram: Bin[];
    outliers_iqr: { low: number; high: number; count: number; share: number };
    outliers_z: { threshold: number; count: number; share: number };
    zeros: number; negatives: number;
  };
  time?: { min: string; max: string; days: number; months: { month: string; count: number }[]; empty_months: number };
}

export interface Correlation { a: string; b: string; r: number }

export interface EdaProfile {
  table: string;
  rows: number;
  columns: ColumnProfile[];
  correlations: { columns: string[]; matrix: (number | null)[][]; strongest: Correlation[] };
  coverage: { column: string; min: string; max: string; days: number } | null;
  findings: string[];
  seconds: number;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|REAL|DOUBLE|DECIMAL.*)$/i;
const TIME = /^(DATE|TIMESTAMP.*|TIME.*)$/i;

export function columnKind(type: string): ColumnKind {
  if (NUMERIC.test(type)) return 'numeric';
  if (TIME.test(type)) return 'time';
  if (/^BOOLEAN$/i.test(type)) return 'boolean';
  return 'text';
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));

export interface ProfileOptions { bins?: number; top?: number; zThreshold?: number }

/** `source` is a lake table (zone.name) or any DuckDB relation text, e.g. read_parquet('f'). */
export async function profileTable(wh: Warehouse, source: string, opts: ProfileOptions = {}): Promise<EdaProfile> {
  const t0 = performance.now();
  const bins = opts.bins ?? 20, topN = opts.top ?? 8, zt = opts.zThreshold ?? 3;
  const cols = await wh.describe(`SELECT * FROM ${source}`);
  if (!cols.length) throw new Error(`eda: ${source} has no columns`);
  // one temp copy: every statistic below reads it instead of re-reading Parquet or CSV
  const tmp = `eda_${process.pid}_${Date.now().toString(36)}`;
  await wh.conn.run(`CREATE OR REPLACE TEMP TABLE ${tmp} AS SELECT * FROM ${source}`);
  try {
    const [{ n }] = await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${tmp}`) as [{ n: number }];
    const rows = Number(n);
    // missing and distinct for every column in one scan
    const basic = (await wh.query<Record<string, unknown>>(`SELECT ${cols.map((c, i) =>
      `count(${q(c.name)})::BIGINT AS n${i}, count(DISTINCT ${q(c.name)})::BIGINT AS d${i}`).join(', ')} FROM ${tmp}`))[0]!;
    const profiles: ColumnProfile[] = [];
    for (const [i, c] of cols.entries()) {
      const kind = columnKind(c.type);
      const present = Number(basic[`n${i}`]);
      const top = await wh.query<{ value: string; count: number }>(`
        SELECT CAST(${q(c.name)} AS VARCHAR) AS value, count(*)::BIGINT AS count FROM ${tmp}
        WHERE ${q(c.name)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${topN}`);
      const p: ColumnProfile = {
        name: c.name, type: c.type, kind, rows, missing: rows - present, missing_share: rows ? (rows - present) / rows : 0,
        distinct: Number(basic[`d${i}`]), top: top.map((t) => ({ value: String(t.value), count: Number(t.count) })),
      };
      if (kind === 'numeric' && present > 0) p.numeric = await numericProfile(wh, tmp, c.name, bins, zt);
      if (kind === 'time' && present > 0) p.time = await timeProfile(wh, tmp, c.name);
      profiles.push(p);
    }
    const numeric = profiles.filter((p) => p.numeric && p.numeric.std > 0).map((p) => p.name);
    const correlations = await correlationMatrix(wh, tmp, numeric);
    const timed = profiles.filter((p) => p.time).sort((a, b) => b.time!.days - a.time!.days)[0];
    const coverage = timed ? { column: timed.name, min: timed.time!.min, max: timed.time!.max, days: timed.time!.days } : null;
    const profile: EdaProfile = { table: source, rows, columns: profiles, correlations, coverage, findings: [], seconds: 0 };
    profile.findings = findings(profile);
    profile.seconds = (performance.now() - t0) / 1000;
    return profile;
  } finally {
    await wh.conn.run(`DROP TABLE IF EXISTS ${tmp}`);
  }
}

async function numericProfile(wh: Warehouse, tmp: string, name: string, bins: number, zt: number): Promise<NonNullable<ColumnProfile['numeric']>> {
  const c = `CAST(${q(name)} AS DOUBLE)`;
  const [s] = await wh.query<Record<string, unknown>>(`
    SELECT min(${c}) AS min, max(${c}) AS max, avg(${c}) AS mean, stddev_pop(${c}) AS std,
           quantile_cont(${c}, 0.25) AS q1, median(${c}) AS median, quantile_cont(${c}, 0.75) AS q3,
           skewness(${c}) AS skew, count(*) FILTER (WHERE ${c} = 0)::BIGINT AS zeros, count(*) FILTER (WHERE ${c} < 0)::BIGINT AS negatives,
           count(${c})::BIGINT AS n
    FROM ${tmp}`);
  const st = { min: num(s!.min), max: num(s!.max), mean: num(s!.mean), std: num(s!.std), q1: num(s!.q1), median: num(s!.median), q3: num(s!.q3) };
  const n = Number(s!.n);
  const iqr = st.q3 - st.q1, low = st.q1 - 1.5 * iqr, high = st.q3 + 1.5 * iqr;
  const [o] = await wh.query<{ iqr: number; z: number }>(`
    SELECT count(*) FILTER (WHERE ${c} < ${low} OR ${c} > ${high})::BIGINT AS iqr,
           count(*) FILTER (WHERE ${st.std > 0 ? `abs(${c} - ${st.mean}) / ${st.std} > ${zt}` : 'false'})::BIGINT AS z
    FROM ${tmp} WHERE ${c} IS NOT NULL`);
  // the histogram spans the whisker range (outliers are counted above), so one extreme value
  // does not squeeze every other row into a single bar; values outside fall in the end bins
  const lo = Math.max(st.min, low), hi = Math.min(st.max, high);
  let histogram: Bin[];
  if (!(hi > lo)) {
    histogram = [{ lo: st.min, hi: st.max, count: n }];
  } else {
    const w = (hi - lo) / bins;
    const h = await wh.query<{ b: number; count: number }>(`
      SELECT least(${bins - 1}, greatest(0, floor((${c} - ${lo}) / ${w})))::INTEGER AS b, count(*)::BIGINT AS count
      FROM ${tmp} WHERE ${c} IS NOT NULL GROUP BY 1`);
    const counts = new Array<number>(bins).fill(0);
    for (const r of h) counts[Number(r.b)] = Number(r.count);
    histogram = counts.map((count, b) => ({ lo: lo + b * w, hi: lo + (b + 1) * w, count }));
  }
  return {
    ...st, skew: num(s!.skew), histogram, zeros: Number(s!.zeros), negatives: Number(s!.negatives),
    outliers_iqr: { low, high, count: Number(o!.iqr), share: n ? Number(o!.iqr) / n : 0 },
    outliers_z: { threshold: zt, count: Number(o!.z), share: n ? Number(o!.z) / n : 0 },
  };
}

async function timeProfile(wh: Warehouse, tmp: string, name: string): Promise<NonNullable<ColumnProfile['time']>> {
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

async function correlationMatrix(wh: Warehouse, tmp: string, names: string[]): Promise<EdaProfile['correlations']> {
  const cols = names.slice(0, 16); // a readable matrix; the rest are listed by column
  if (cols.length < 2) return { columns: cols, matrix: cols.map(() => cols.map(() => 1)), strongest: [] };
  const pairs: [number, number][] = [];
  for (let i = 0; i < cols.length; i++) for (let j = i + 1; j < cols.length; j++) pairs.push([i, j]);
  const [r] = await wh.query<Record<string, unknown>>(`SELECT ${pairs.map(([i, j]) =>
    `corr(CAST(${q(cols[i]!)} AS DOUBLE), CAST(${q(cols[j]!)} AS DOUBLE)) AS c${i}_${j}`).join(', ')} FROM ${tmp}`);
  const matrix = cols.map((_, i) => cols.map((_, j) => (i === j ? 1 : null as number | null)));
  const all: Correlation[] = [];
  for (const [i, j] of pairs) {
    const v = num(r![`c${i}_${j}`]);
    const x = Number.isFinite(v) ? v : null;
    matrix[i]![j] = x; matrix[j]![i] = x;
    if (x !== null) all.push({ a: cols[i]!, b: cols[j]!, r: x });
  }
  return { columns: cols, matrix, strongest: all.sort((a, b) => Math.abs(b.r) - Math.abs(a.r)).slice(0, 5) };
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

/** Short written findings: what stands out, ranked by how much it matters to an analyst. */
export function findings(p: EdaProfile): string[] {
  const out: string[] = [];
  out.push(`${p.rows.toLocaleString('en-US')} rows and ${p.columns.length} columns` +
    (p.coverage ? `, covering ${p.coverage.min.slice(0, 10)} to ${p.coverage.max.slice(0, 10)} (${Math.round(p.coverage.days)} days, column ${p.coverage.column})` : '') + '.');
  const missing = p.columns.filter((c) => c.missing_share > 0.01).sort((a, b) => b.missing_share - a.missing_share);
  if (missing.length) out.push(`Missing values: ${missing.slice(0, 4).map((c) => `${c.name} ${pct(c.missing_share)}`).join(', ')}.`);
  else out.push('No column misses more than 1% of its values.');
  for (const c of p.columns) {
    const m = c.numeric;
    if (!m) continue;
    if (m.negatives > 0) out.push(`${c.name} has ${m.negatives.toLocaleString('en-US')} negative values (${pct(m.negatives / (c.rows - c.missing))}), min ${fmt(m.min)}.`);
    if (Math.abs(m.skew) > 2) out.push(`${c.name} is heavily ${m.skew > 0 ? 'right' : 'left'}-skewed (skewness ${m.skew.toFixed(1)}; median ${fmt(m.median)} vs mean ${fmt(m.mean)}): ${pct(m.outliers_iqr.share)} of rows are IQR outliers, max ${fmt(m.max)}; a log scale suits it.`);
  }
  const constant = p.columns.filter((c) => c.distinct <= 1 && c.rows > 0);
  if (constant.length) out.push(`Constant columns (one value): ${constant.map((c) => c.name).join(', ')}.`);
  const ids = p.columns.filter((c) => c.kind === 'text' && c.distinct > 0.9 * (c.rows - c.missing) && c.rows > 100);
  if (ids.length) out.push(`Identifier-like columns (nearly all values distinct): ${ids.map((c) => c.name).join(', ')}.`);
  const dominated = p.columns.filter((c) => c.kind === 'text' && c.top[0] && c.top[0].count / Math.max(1, c.rows - c.missing) > 0.8 && c.distinct > 1);
  for (const c of dominated) out.push(`${c.name} is dominated by "${c.top[0]!.value}" (${pct(c.top[0]!.count / (c.rows - c.missing))} of rows).`);
  for (const s of p.correlations.strongest.filter((s) => Math.abs(s.r) >= 0.5)) out.push(`${s.a} and ${s.b} are correlated (r = ${s.r.toFixed(2)}).`);
  for (const c of p.columns) {
    if (c.time && c.time.empty_months > 0) out.push(`${c.name} has ${c.time.empty_months} month(s) without any row: a gap in the data.`);
    if (c.time && c.time.months.length >= 3) {
      const best = c.time.months.reduce((a, b) => (b.count > a.count ? b : a));
      out.push(`The busiest month by ${c.name} is ${best.month} (${best.count.toLocaleString('en-US')} rows).`);
    }
  }
  return out;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(2);
  return Number.isInteger(x) ? x.toLocaleString('en-US') : x.toLocaleString('en-US', { maximumFractionDigits: 3 });
}
