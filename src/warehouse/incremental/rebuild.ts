// Rebuilding a model: recomputed whole and merged (only what differs is committed), or written
// anew as a replace.
import { sqlIdent } from '../../lake/duck.ts';
import type { SqlModel } from '../models.ts';
import type { Warehouse } from '../session.ts';
import {
  createTemp, diffByKey, dropTemps, FILE_COLUMN,
  mergeDiff, ROW_COLUMN, storedScan, tempId, type IncrementalOutcome, type Layout,
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
  const fresh = `${id}_new`, old = `${id}_old`, ins = `${id}_ins`, del = `${id}_del`;
  const conn = wh.conn;
  try {
    const rows = await createTemp(wh, fresh, m.sql);
    const colList = (await wh.describe(`SELECT * FROM ${fresh}`)).map((c) => sqlIdent(c.name));
    const cols = colList.join(', ');
    const stored = await storedScan(wh, m.table);
    await conn.run(stored
      ? `CREATE TEMP TABLE ${old} AS SELECT ${cols}, ${FILE_COLUMN}, ${ROW_COLUMN} FROM (${stored})`
      : `CREATE TEMP TABLE ${old} AS SELECT ${cols}, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} WHERE false`);
    let inserted: number, deleted: number;
    if (m.incremental) ({ inserted, deleted } = await diffByKey(wh, fresh, old, ins, del, colList));
    else {
      // no key: rows may repeat, so the multiset difference (EXCEPT ALL) decides
      inserted = await createTemp(wh, ins, `SELECT ${cols} FROM ${fresh} EXCEPT ALL SELECT ${cols} FROM ${old}`);
      deleted = await createTemp(wh, del, `SELECT ${cols} FROM ${old} EXCEPT ALL SELECT ${cols} FROM ${fresh}`);
    }
    if (!inserted && !deleted) return {
      mode: 'unchanged',
      note: `recomputed (${why}): no row changed`,
      rowsOut: rows,
      rowsIn: null,
      inserted: 0,
      deleted: 0,
      scopeValues: 0,
      watermarks: marks,
    };
    if (m.incremental) {
      const r = await mergeDiff(wh, m, m.incremental.key, { ins, del, cols: colList, inserted, deleted }, layout, { model: m.file, mode: 'recompute' });
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
    }
    await wh.lake.writeQuery(conn, m.table, `SELECT * FROM ${fresh}`, {
      mode: 'replace',
      summary: { model: m.file, mode: 'rebuild' },
      rowGroupRows: layout?.row_group_rows,
    });
    await wh.refreshTable(m.table);
    return { mode: 'rebuild', note: `rebuilt: ${why}`, rowsOut: rows, rowsIn: null, inserted, deleted, scopeValues: 0, watermarks: marks };
  } finally {
    await dropTemps(wh, [fresh, old, ins, del]);
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
