// The incremental merge of a model scoped by its day column.
import { scanSql } from '../../lake/deletes.ts';
import { sqlIdent, sqlString } from '../../lake/duck.ts';
import type { SqlModel } from '../models.ts';
import { dayOf } from '../partitions.ts';
import { viewName, type Warehouse } from '../session.ts';
import { changedRows } from './changes.ts';
import {
  createTemp, diffByKey, dropTemps, FILE_COLUMN,
  mergeDiff, ROW_COLUMN, storedScan, storedSide, tempId, withInputs, type IncrementalOutcome, type Layout,
} from './diff.ts';
import { rebuild, recomputeAll } from './rebuild.ts';

const DAY_MS = 86_400_000;
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const dateList = (days: string[]) => days.map((d) => `DATE ${sqlString(d)}`).join(', ');

/**
 * A model scoped by its day column (`-- scope:` equal to `-- partition:`: a row of day X depends
 * only on input rows of days X..X+lookahead): the days the changed input rows fall on (and the
 * lookahead days before them) are recomputed, over the input rows of those days and the
 * lookahead days after. The days are constants in the SQL, so the reads prune: a raw input
 * (partitioned by event day) is read only in those days' dt= partitions, and a curated input or
 * the stored table is filtered on its day column, which skips every Parquet row group whose
 * min/max misses the days (day models are written in day order, see rebuild). A change of an
 * input without a day (a dimension) recomputes all.
 */
export async function mergeByDay(
  wh: Warehouse, m: SqlModel, key: string[], opts: { watermarks: Map<string, number>; layout?: Layout },
  marks: Record<string, number>, changed: string[],
): Promise<IncrementalOutcome> {
  const col = m.partition!, ahead = m.lookahead ?? 0;
  const exprs = new Map<string, string | null>();
  for (const i of m.inputs) exprs.set(i, dayOf(await wh.columns(i), col));
  const parts: string[] = [];
  let filesRead = 0, partitionsRead = 0, rowsIn = 0;
  for (const i of changed) {
    const e = exprs.get(i);
    if (!e) return recomputeAll(wh, m, opts.layout, marks, `${i} changed and has no ${col} or ts to scope it by day`);
    const d = await changedRows(wh, i, opts.watermarks.get(i)!, marks[i]!, await wh.columns(i));
    filesRead += d.files; partitionsRead += d.partitions; rowsIn += d.rows;
    parts.push(`SELECT ${e} AS d FROM (${d.sql})`);
  }
  const found = await wh.query<{ d: string | null }>(`SELECT DISTINCT strftime(d, '%Y-%m-%d') AS d FROM (${parts.join(' UNION ALL ')})`);
  // a changed row without a day names no day to recompute
  if (found.some((r) => r.d === null)) return recomputeAll(wh, m, opts.layout, marks, `a changed input row has no ${col}`);
  const changedDays = found.map((r) => r.d!);
  const days = [...new Set(changedDays.flatMap((d) => Array.from({ length: ahead + 1 }, (_, k) => addDays(d, -k))))].sort();
  const window = [...new Set(days.flatMap((d) => Array.from({ length: ahead + 1 }, (_, k) => addDays(d, k))))].sort();
  // an IN list alone: DuckDB prunes row groups with it, and a BETWEEN over a CAST next to it
  // trips an internal error of DuckDB 1.5 in a model with a correlated EXISTS (plays)
  const inWindow = (e: string, list: string[]) => `${e} IN (${dateList(list)})`;
  const id = tempId();
  const fresh = `${id}_new`, old = `${id}_old`, ins = `${id}_ins`, del = `${id}_del`;
  try {
    const restricted = new Map<string, string>();
    for (const i of m.inputs) {
      const e = exprs.get(i);
      if (!e) continue;
      let source = viewName(i);
      if (i.startsWith('raw.')) {
        // raw tables are partitioned by event day: only the window's partitions are read
        const want = new Set(window.map((d) => `dt=${d}`));
        const { files, deletes } = await wh.lake.catalog.filesWithDeletes(i, marks[i]);
        const mine = files.filter((f) => want.has(f.partition));
        source = mine.length ? `(${scanSql(wh.lake.root, mine, deletes)})` : `(SELECT * FROM ${viewName(i)} WHERE false)`;
      }
      restricted.set(i, `SELECT * FROM ${source} x WHERE ${inWindow(e, window)}`);
    }
    const dayCol = sqlIdent(col);
    const rows = await createTemp(wh, fresh, `SELECT * FROM (${withInputs(m.sql, restricted, id)}) WHERE CAST(${dayCol} AS DATE) IN (${dateList(days)})`);
    const described = await wh.describe(`SELECT * FROM ${fresh}`);
    const colList = described.map((c) => sqlIdent(c.name));
    // the stored rows of those days; a DATE column is compared as it is stored, so its row groups prune
    const isDate = described.find((c) => c.name === col)?.type === 'DATE';
    const stored = await storedScan(wh, m.table);
    const stale = await storedSide(wh, `CREATE TEMP TABLE ${old} AS SELECT ${colList.map((c) => `x.${c}`).join(', ')}, x.${FILE_COLUMN}, x.${ROW_COLUMN}
      FROM (${stored ?? `SELECT ${colList.join(', ')}, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} WHERE false`}) x
      WHERE ${inWindow(isDate ? `x.${dayCol}` : `CAST(x.${dayCol} AS DATE)`, days)}`);
    if (stale) return await rebuild(wh, m, opts.layout, marks, stale);
    const d = await diffByKey(wh, fresh, old, ins, del, colList);
    const r = await mergeDiff(wh, m, key, { ins, del, cols: colList, ...d }, opts.layout, { model: m.file, mode: 'merge', scope_values: days.length });
    if (r.snapshot !== null) await wh.refreshTable(m.table);
    return {
      mode: 'merge',
      note: `merged by ${key.join(', ')}: ${days.length} ${col} values recomputed (${rows.toLocaleString('en-US')} rows), +${r.inserted} -${r.deleted} rows ` +
        `(${r.filesRemoved} files rewritten, ${r.deleteFiles} deleted on read)`,
      rowsOut: await wh.lake.catalog.rowCount(m.table),
      rowsIn, inserted: r.inserted, deleted: r.deleted, scopeValues: days.length, filesRead, partitionsRead, watermarks: marks,
    };
  } finally {
    await dropTemps(wh, [fresh, old, ins, del]);
  }
}
