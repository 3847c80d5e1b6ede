// Data quality across columns: duplicate rows (pandas' DataFrame.duplicated(): a row equal in
// every column to an earlier one, missing values equal to each other) with the most repeated
// rows, and the missing-value matrix (missingno's): the table cut into blocks of consecutive rows
// in file order, the count of missing values per column in each block, so a column that stops
// being filled half-way, or rows where several columns go missing together, show as a pattern.
import type { Warehouse } from '../../warehouse/session.ts';
import { q, type Materialized } from './source.ts';

export interface Duplicates {
  /** rows equal to an earlier row in every column */
  rows: number;
  share: number;
  /** the most repeated rows, with how many times each occurs */
  examples: { row: Record<string, string | null>; count: number }[];
}

export interface MissingMatrix {
  columns: string[];
  blocks: { from: number; to: number; missing: number[] }[];
}

const COUNT = '__eda_count';

export async function duplicates(wh: Warehouse, m: Materialized, examples = 5): Promise<Duplicates> {
  const cols = m.columns.map((c) => q(c.name)).join(', ');
  const [r] = await wh.query<{ d: number }>(`SELECT coalesce(sum(n - 1), 0)::BIGINT AS d FROM (SELECT count(*) AS n FROM ${m.tmp} GROUP BY ${cols})`);
  const rows = Number(r!.d);
  const top = rows === 0 ? [] : await wh.query<Record<string, unknown>>(`
    SELECT ${m.columns.map((c) => `CAST(${q(c.name)} AS VARCHAR) AS ${q(c.name)}`).join(', ')}, count(*)::BIGINT AS ${COUNT}
    FROM ${m.tmp} GROUP BY ${cols} HAVING count(*) > 1 ORDER BY ${COUNT} DESC, ${cols} LIMIT ${examples}`);
  return {
    rows, share: m.rows ? rows / m.rows : 0,
    examples: top.map((t) => {
      const row: Record<string, string | null> = {};
      for (const c of m.columns) row[c.name] = t[c.name] === null ? null : String(t[c.name]);
      return { row, count: Number(t[COUNT]) };
    }),
  };
}

export async function missingMatrix(wh: Warehouse, m: Materialized, blocks = 100): Promise<MissingMatrix> {
  const n = m.rows;
  const columns = m.columns.map((c) => c.name);
  if (n === 0) return { columns, blocks: [] };
  const b = Math.min(blocks, n);
  // rowid is the temp table's insertion order, which is the source's row order
  const rows = await wh.query<Record<string, unknown>>(`
    SELECT (rowid * ${b} // ${n})::INTEGER AS b, min(rowid)::BIGINT AS lo, max(rowid)::BIGINT AS hi,
           ${m.columns.map((c, i) => `(count(*) - count(${q(c.name)}))::BIGINT AS m${i}`).join(', ')}
    FROM ${m.tmp} GROUP BY 1 ORDER BY 1`);
  return {
    columns,
    blocks: rows.map((r) => ({ from: Number(r.lo), to: Number(r.hi) + 1, missing: m.columns.map((_, i) => Number(r[`m${i}`])) })),
  };
}
