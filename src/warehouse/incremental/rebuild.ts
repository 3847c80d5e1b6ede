// Rebuilding a model: recomputed whole and merged (only what differs is committed), or written
// anew as a replace.
import { sqlIdent } from '../../lake/duck.ts';
import type { SqlModel } from '../models.ts';
import type { Warehouse } from '../session.ts';
import {
  createTempColumns, diffStored, dropTemps, FILE_COLUMN,
  mergeDiff, ROW_COLUMN, staleStored, storedScan, tempId, type IncrementalOutcome, type Layout,
} from './diff.ts';

/**
 * Recomputes the whole model and commits only what differs from the stored rows: by key when
 * the model has one (a merge), else a replace if anything differs. So a rebuild that changes
 * nothing commits nothing, and the models downstream see no change.
 */
export async function recomputeAll(
  wh: Warehouse, m: SqlModel, layout: Layout | undefined, marks: Record<string, number>, why: string,
): Promise<IncrementalOutcome> {
  const id = tempId();
  const fresh = `${id}_new`, diff = `${id}_diff`;
  try {
    const { rows, columns } = await createTempColumns(wh, fresh, m.sql);
    const colList = columns.map((c) => sqlIdent(c.name));
    const cols = colList.join(', ');
    const unchanged = (): IncrementalOutcome => ({
      mode: 'unchanged', note: `recomputed (${why}): no row changed`, rowsOut: rows, rowsIn: null,
      inserted: 0, deleted: 0, scopeValues: 0, watermarks: marks,
    });
    if (!m.incremental) {
      // no key: rows may repeat, so the multiset difference (EXCEPT ALL) decides whether anything
      // changed, and a replace writes it all
      const d = await multisetDiff(wh, fresh, m.table, cols, rows);
      if (d && !d.inserted && !d.deleted) return unchanged();
      await wh.lake.writeQuery(wh.conn, m.table, `SELECT * FROM ${fresh}`, {
        mode: 'replace',
        summary: { model: m.file, mode: 'rebuild' },
        rowGroupRows: layout?.row_group_rows,
      });
      await wh.refreshTable(m.table);
      return {
        mode: 'rebuild', note: `rebuilt: ${why}`, rowsOut: rows, rowsIn: null,
        inserted: d?.inserted ?? rows, deleted: d?.deleted ?? 0, scopeValues: 0, watermarks: marks,
      };
    }
    const stored = await storedScan(wh, m.table);
    const d = await diffStored(wh, fresh, stored
      ? `SELECT ${cols}, ${FILE_COLUMN}, ${ROW_COLUMN} FROM (${stored})`
      : `SELECT ${cols}, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} WHERE false`, diff, colList);
    if ('stale' in d) return await rebuild(wh, m, layout, marks, d.stale);
    if (!d.inserted && !d.deleted) return unchanged();
    const r = await mergeDiff(wh, m, m.incremental.key, d, layout, { model: m.file, mode: 'recompute' });
    await wh.refreshTable(m.table);
    return {
      mode: 'merge',
      note: `recomputed (${why}), merged by ${m.incremental.key.join(', ')}: +${r.inserted} -${r.deleted} rows`,
      rowsOut: rows,
      rowsIn: null,
      inserted: r.inserted,
      deleted: r.deleted,
      scopeValues: 0,
      watermarks: marks,
    };
  } finally {
    await dropTemps(wh, [fresh, diff]);
  }
}

/**
 * The rows a keyless model's recomputed rows (`fresh`, `rows` of them) have more (`inserted`)
 * and fewer (`deleted`) than its stored rows, as multisets, in one statement over the stored
 * files (no temp tables: these models are small aggregates, and each statement costs 1-3 ms
 * however few rows it reads). Null when the stored files lack a column the model gives now: they
 * cannot be compared, and must be replaced.
 */
async function multisetDiff(wh: Warehouse, fresh: string, table: string, cols: string, rows: number): Promise<{ inserted: number; deleted: number } | null> {
  const stored = await wh.lake.readSql(table, undefined, { hive: false });
  if (!stored) return { inserted: rows, deleted: 0 };
  try {
    const [r] = (await wh.conn.runAndReadAll(`WITH f AS (SELECT ${cols} FROM ${fresh}), o AS MATERIALIZED (SELECT ${cols} FROM (${stored}))
      SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT ALL SELECT * FROM o))::BIGINT AS inserted,
        (SELECT count(*) FROM (SELECT * FROM o EXCEPT ALL SELECT * FROM f))::BIGINT AS deleted`)).getRowObjectsJS();
    return { inserted: Number(r!.inserted), deleted: Number(r!.deleted) };
  } catch (e) {
    if (staleStored(e)) return null;
    throw e;
  }
}

export async function rebuild(wh: Warehouse, m: SqlModel, layout: Layout | undefined, marks: Record<string, number>, why: string): Promise<IncrementalOutcome> {
  // a model merged by day is stored in day order: each Parquet row group then holds a few days,
  // and a merge's read of the days it recomputes skips the others by their min/max
  const byDay = m.incremental?.scope.length === 1 && m.incremental.scope[0] === m.partition;
  const write = (sql: string) => wh.lake.writeQuery(wh.conn, m.table, sql, {
    mode: 'replace',
    summary: { model: m.file, mode: 'rebuild' },
    rowGroupRows: layout?.row_group_rows,
  });
  let r: Awaited<ReturnType<typeof write>>;
  try {
    r = await write(byDay ? `SELECT * FROM (\n${m.sql}\n) ORDER BY ${sqlIdent(m.partition!)}` : m.sql);
  } catch (e) {
    // a model reading only empty tables may lack its day column (an empty raw table's view has
    // no dt= folder to take it from): nothing to order
    if (!byDay || !String((e as Error).message).includes(`"${m.partition}" not found`)) throw e;
    r = await write(m.sql);
  }
  await wh.refreshTable(m.table);
  return { mode: 'rebuild', note: `rebuilt: ${why}`, rowsOut: r.rows, rowsIn: null, inserted: r.rows, deleted: 0, scopeValues: 0, watermarks: marks };
}
