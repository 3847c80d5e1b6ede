// The table under study, copied once into a DuckDB temp table that every statistic then reads
// (instead of re-reading Parquet or re-parsing CSV per statistic). Boolean columns of a file are
// copied as the words the file uses (yes/no, Y/N, true/false), found in a text-only read of the
// same file: DuckDB's sniffer reads `yes` as true, and a report of `true` for a column that says
// `yes` is a report of a different file.
import type { Warehouse } from '../../warehouse/session.ts';

export const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const num = (v: unknown) => (v === null || v === undefined ? NaN : Number(v));

export interface Materialized {
  tmp: string;
  rows: number;
  columns: { name: string; type: string }[];
  /** the words a boolean column uses in its file, per column: { true: 'yes', false: 'no' } */
  booleanWords: Record<string, { true: string; false: string }>;
  drop(): Promise<void>;
}

let seq = 0;

/**
 * `source` is DuckDB relation text (a lake view `raw.x`, `read_parquet('f')`...). `textSource`,
 * when given, reads the same file with every column as text (read_csv(..., all_varchar = true)).
 */
export async function materialize(wh: Warehouse, source: string, textSource?: string): Promise<Materialized> {
  const cols = await wh.describe(`SELECT * FROM ${source}`);
  if (!cols.length) throw new Error(`eda: ${source} has no columns`);
  const booleanWords: Materialized['booleanWords'] = {};
  for (const c of cols.filter((c) => /^BOOLEAN$/i.test(c.type))) booleanWords[c.name] = await wordsOf(wh, textSource, c.name);
  const tmp = `eda_${process.pid}_${++seq}_${Date.now().toString(36)}`;
  const replace = Object.entries(booleanWords).map(([name, w]) =>
    `CASE WHEN ${q(name)} THEN ${lit(w.true)} WHEN NOT ${q(name)} THEN ${lit(w.false)} END AS ${q(name)}`);
  await wh.conn.run(`CREATE OR REPLACE TEMP TABLE ${tmp} AS SELECT *${replace.length ? ` REPLACE (${replace.join(', ')})` : ''} FROM ${source}`);
  const [{ n }] = await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${tmp}`) as [{ n: number }];
  return {
    tmp, rows: Number(n), columns: cols, booleanWords,
    async drop() { await wh.conn.run(`DROP TABLE IF EXISTS ${tmp}`); },
  };
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The most used spelling of true and of false in the file's text; true/false without a text read. */
async function wordsOf(wh: Warehouse, textSource: string | undefined, name: string): Promise<{ true: string; false: string }> {
  const words = { true: 'true', false: 'false' };
  if (!textSource) return words;
  const rows = await wh.query<{ w: string; b: boolean | null; n: number }>(`
    SELECT ${q(name)} AS w, TRY_CAST(${q(name)} AS BOOLEAN) AS b, count(*)::BIGINT AS n FROM ${textSource}
    WHERE ${q(name)} IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC, 1`);
  const t = rows.find((r) => r.b === true), f = rows.find((r) => r.b === false);
  return { true: t ? String(t.w).trim() : words.true, false: f ? String(f.w).trim() : words.false };
}

/** Columns of a query as JavaScript arrays (DuckDB's columnar read, no row objects). */
export async function readColumns(wh: Warehouse, sql: string): Promise<unknown[][]> {
  const r = await wh.conn.runAndReadAll(sql);
  return r.getColumnsJS() as unknown[][];
}

/** A numeric column as doubles, NaN for missing (times as epoch seconds). */
export function toFloat(values: unknown[]): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? NaN : Number(v);
  }
  return out;
}

/** A categorical column as codes 0..levels-1 (-1 missing), levels by descending count; the rest past `max` levels share the code of "other". */
export function toCodes(values: unknown[], max = Infinity): { codes: Int32Array; labels: string[] } {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null && v !== undefined) { const k = String(v); counts.set(k, (counts.get(k) ?? 0) + 1); }
  const order = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k]) => k);
  const kept = order.slice(0, max);
  const labels = order.length > max ? [...kept, '(other)'] : kept;
  const index = new Map(kept.map((k, i) => [k, i]));
  const other = order.length > max ? kept.length : -1;
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    codes[i] = v === null || v === undefined ? -1 : (index.get(String(v)) ?? other);
  }
  return { codes, labels };
}
