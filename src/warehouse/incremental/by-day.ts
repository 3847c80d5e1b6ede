// The incremental merge of a model scoped by its day column.
import { scanSql } from '../../lake/deletes.ts';
import { sqlIdent, sqlString } from '../../lake/duck.ts';
import type { SqlModel } from '../models.ts';
import { dayOf, partitionsHolding } from '../partitions.ts';
import { viewName, type Warehouse } from '../session.ts';
import { changedRows } from './changes.ts';
import {
  createTempColumns, diffStored, dropTemps, FILE_COLUMN,
  mergeDiff, ROW_COLUMN, storedScan, tempId, withInputs, type IncrementalOutcome, type Layout,
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
 * input without a day (a dimension) recomputes all. With `-- within: cols`, only the rows of
 * those days whose cols the changed rows name are recomputed (inputs, fresh and stored rows
 * semi-joined with the changed rows): a new play recomputes its user's plays of that track, not
 * the day's. `-- lookahead:` and `-- reach:` (models.ts) say which earlier days a change reaches.
 */
export async function mergeByDay(
  wh: Warehouse, m: SqlModel, key: string[], opts: { watermarks: Map<string, number>; layout?: Layout },
  marks: Record<string, number>, changed: string[],
): Promise<IncrementalOutcome> {
  const col = m.partition!, ahead = m.lookahead ?? 0;
  const readsAhead = (i: string) => ahead > 0 && (m.lookaheadInputs ?? m.inputs).includes(i);
  const exprs = new Map<string, string | null>(), inputCols = new Map<string, string[]>();
  for (const i of m.inputs) {
    inputCols.set(i, await wh.columns(i));
    exprs.set(i, dayOf(inputCols.get(i)!, col));
  }
  const parts: string[] = [];
  let filesRead = 0, partitionsRead = 0, rowsIn = 0;
  // recomputed within the values of the changed rows when every changed input has the columns
  const hasWithin = (i: string) => !!m.within && m.within.every((c) => inputCols.get(i)!.includes(c));
  const within = m.within && changed.every(hasWithin) ? m.within.map(sqlIdent) : [];
  for (const i of changed) {
    const e = exprs.get(i);
    if (!e) return recomputeAll(wh, m, opts.layout, marks, `${i} changed and has no ${col} or ts to scope it by day`);
    const cols = inputCols.get(i)!;
    const d = await changedRows(wh, i, opts.watermarks.get(i)!, marks[i]!, cols);
    filesRead += d.files; partitionsRead += d.partitions; rowsIn += d.rows;
    // a looked-ahead input's rows also name the days before theirs: with a reach, from their
    // earliest time on (none: every lookahead day)
    const t = readsAhead(i) && m.reach && cols.includes('ts') ? 'epoch_us(ts)' : 'NULL::BIGINT';
    parts.push(`SELECT ${e} AS d, ${readsAhead(i)} AS ahead, ${t} AS t${within.map((c) => `, ${c}`).join('')} FROM (${d.sql})`);
  }
  const id = tempId();
  const changes = `${id}_chg`, fresh = `${id}_new`, diff = `${id}_diff`;
  try {
    // with `within`, the changed rows are kept (the recompute semi-joins them), made in the
    // round trip that reads their days
    const source = within.length ? changes : `(${parts.join(' UNION ALL ')})`;
    const found = await wh.query<{ d: string | null; ahead: boolean; untimed: boolean; t: bigint | number | null }>(
      `${within.length ? `CREATE TEMP TABLE ${changes} AS ${parts.join(' UNION ALL ')};\n` : ''}` +
      `SELECT strftime(d, '%Y-%m-%d') AS d, bool_or(ahead) AS ahead, bool_or(ahead AND t IS NULL) AS untimed, min(t) AS t ` +
      `FROM ${source} GROUP BY 1`);
    // a changed row without a day names no day to recompute
    if (found.some((r) => r.d === null)) return await recomputeAll(wh, m, opts.layout, marks, `a changed input row has no ${col}`);
    const days = await daysToRecompute(wh, m, found.map((r) => ({
      day: r.d!, ahead: r.ahead, from: r.ahead && !r.untimed && r.t !== null ? BigInt(r.t) : null,
    })));
    // each input is read on the days recomputed, and a looked-ahead one on the lookahead days after them
    const window = (i: string) => {
      const n = readsAhead(i) ? ahead : 0;
      return [...new Set(days.flatMap((d) => Array.from({ length: n + 1 }, (_, k) => addDays(d, k))))].sort();
    };
    // an IN list on the day expression: DuckDB prunes row groups with it, and a BETWEEN over a
    // CAST next to it trips an internal error of DuckDB 1.5 in a model with a correlated EXISTS
    // (plays); a range on ts itself (tsRange) is safe
    const inWindow = (e: string, list: string[]) => `${e} IN (${dateList(list)})`;
    // the values (of the `within` columns) the changed rows name, NULLs included (a semi join
    // needs them distinct no more than the days)
    const inScope = (x: string) => `SEMI JOIN ${changes} s ON ${within.map((c) => `${x}.${c} IS NOT DISTINCT FROM s.${c}`).join(' AND ')}`;
    const restricted = new Map<string, string>();
    for (const i of m.inputs) {
      const e = exprs.get(i);
      if (!e) continue;
      const readDays = window(i);
      let source = viewName(i);
      if (i.startsWith('raw.') && (e === 'CAST(ts AS DATE)' || e === `CAST(${sqlIdent('dt')} AS DATE)`)) {
        // a raw table's rows of a day sit in that day's partition or in its year's (a bulk import):
        // only those are read
        const want = partitionsHolding(readDays);
        const { files, deletes } = await wh.lake.catalog.filesWithDeletes(i, marks[i]);
        const mine = files.filter((f) => want.has(f.partition));
        source = mine.length ? `(${scanSql(wh.lake.root, mine, deletes)})` : `(SELECT * FROM ${viewName(i)} WHERE false)`;
      }
      const narrow = within.length && hasWithin(i) ? ` ${inScope('x')}` : '';
      // a raw input is already read by partition
      const range = i.startsWith('raw.') ? '' : tsRange(e, readDays);
      restricted.set(i, `SELECT x.* FROM ${source} x${narrow} WHERE ${inWindow(e, readDays)}${range}`);
    }
    const dayCol = sqlIdent(col);
    const { rows, columns } = await createTempColumns(wh, fresh, `SELECT f.* FROM (${withInputs(m.sql, restricted, id)}) f` +
      `${within.length ? ` ${inScope('f')}` : ''} WHERE CAST(f.${dayCol} AS DATE) IN (${dateList(days)})`);
    const colList = columns.map((c) => sqlIdent(c.name));
    // the stored rows of those days; a DATE column is compared as it is stored, so its row groups prune
    const isDate = columns.find((c) => c.name === col)?.type === 'DATE';
    const stored = await storedScan(wh, m.table);
    // diffed with the fresh rows in the statement that reads them (a temp table of them, then
    // the diff, took two more statements)
    const d = await diffStored(wh, fresh, `SELECT ${colList.map((c) => `x.${c}`).join(', ')}, x.${FILE_COLUMN}, x.${ROW_COLUMN}
      FROM (${stored ?? `SELECT ${colList.join(', ')}, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} WHERE false`}) x
      ${within.length ? inScope('x') : ''} WHERE ${inWindow(isDate ? `x.${dayCol}` : `CAST(x.${dayCol} AS DATE)`, days)}`, diff, colList);
    if ('stale' in d) return await rebuild(wh, m, opts.layout, marks, d.stale);
    const r = await mergeDiff(wh, m, key, d, opts.layout, { model: m.file, mode: 'merge', scope_values: days.length });
    if (r.snapshot !== null) await wh.refreshTable(m.table);
    const narrowed = within.length ? ` within the changed ${m.within!.join('+')} values` : '';
    return {
      mode: 'merge',
      note: `merged by ${key.join(', ')}: ${days.length} ${col} values recomputed${narrowed} (${rows.toLocaleString('en-US')} rows), ` +
        `+${r.inserted} -${r.deleted} rows (${r.filesRemoved} files rewritten, ${r.deleteFiles} deleted on read)`,
      rowsOut: await wh.lake.catalog.rowCount(m.table),
      rowsIn, inserted: r.inserted, deleted: r.deleted, scopeValues: days.length, filesRead, partitionsRead, watermarks: marks,
    };
  } finally {
    await dropTemps(wh, [changes, fresh, diff]);
  }
}

/**
 * Beside `CAST(ts AS DATE) IN (days)`, the same days as a range of `ts` itself: DuckDB pushes no
 * filter on the cast of a TIMESTAMPTZ into a Parquet scan, so a curated input read by its ts
 * (curated.likes in music_interactions_daily) was read whole, a cost growing with its history;
 * a range on the column prunes its row groups (such tables are written in day order). The
 * constants are cast to ts's type, midnight UTC as the session's time zone says; the IN list
 * keeps the result exact.
 */
function tsRange(e: string, days: string[]): string {
  if (e !== 'CAST(ts AS DATE)' || !days.length) return '';
  return ` AND ts >= ${sqlString(days[0]!)} AND ts < ${sqlString(addDays(days.at(-1)!, 1))}`;
}

/**
 * The days to recompute: those the changed input rows fall on, and for the rows of a looked-ahead
 * input the lookahead days before theirs. With a reach (`-- reach:`), an earlier day only when
 * one of its stored rows reaches the earliest changed looked-ahead row of the days after it
 * (plays: a skip just after midnight that a play of the evening before spans); its rows, built
 * from inputs none of which changed on that day, are what a rebuild would give.
 */
async function daysToRecompute(wh: Warehouse, m: SqlModel, changed: { day: string; ahead: boolean; from: bigint | null }[]): Promise<string[]> {
  const days = new Set(changed.map((c) => c.day));
  // each earlier day a looked-ahead row may reach back to -> the earliest such row's time (null: unknown)
  const reachedFrom = new Map<string, bigint | null>();
  for (const c of changed) {
    if (!c.ahead) continue;
    for (let k = 1; k <= (m.lookahead ?? 0); k++) {
      const d = addDays(c.day, -k);
      if (days.has(d)) continue;
      const t = reachedFrom.get(d);
      reachedFrom.set(d, t === undefined ? c.from : t === null || c.from === null ? null : c.from < t ? c.from : t);
    }
  }
  const check: string[] = [];
  for (const [d, t] of reachedFrom) {
    if (m.reach && t !== null) check.push(d);
    else days.add(d);
  }
  if (check.length) {
    // the stored rows of those days are a rebuild's: none of their inputs changed on them
    // (a CAST of a DATE column to DATE is dropped: its row groups still prune)
    const day = `CAST(${sqlIdent(m.partition!)} AS DATE)`;
    const reached = await wh.query<{ d: string; r: bigint | number | null }>(`SELECT strftime(${day}, '%Y-%m-%d') AS d, max(epoch_us(${m.reach})) AS r ` +
      `FROM ${viewName(m.table)} WHERE ${day} IN (${dateList(check)}) GROUP BY 1`);
    for (const r of reached) if (r.r !== null && BigInt(r.r) >= reachedFrom.get(r.d)!) days.add(r.d);
  }
  return [...days].sort();
}
