// An SQL model built incrementally. Each input's change since the step's watermark (the snapshot
// it last consumed) is read from the catalog alone: the rows of the files live now and not then,
// and (when files were retired: compaction, replace, merge) the rows of those retired files,
// minus what both sides hold (EXCEPT ALL, so a compaction's rewritten rows cancel out). The
// model's scope columns of those changed rows are the values to recompute; the model's SELECT
// then runs with every input restricted to those values (inputs lacking the scope columns are
// read whole, and if such an input changed, the model rebuilds); the recomputed rows are compared
// with the stored rows of the same scope, and only the difference is merged by key
// (src/lake/merge.ts). So the result equals a rebuild, and a second run over the same inputs
// changes nothing. Models without a merge key rebuild (and say so).
/** what of a run's layout a write uses (src/pipeline/layout.ts chooses it) */
interface Layout { row_group_rows?: number }
import { sqlIdent, sqlList } from '../lake/duck.ts';
import { keyMatch, mergeRows } from '../lake/merge.ts';
import type { SqlModel } from './models.ts';
import { viewName, type Warehouse } from './session.ts';

export interface IncrementalOutcome {
  mode: 'merge' | 'rebuild' | 'unchanged';
  note: string;
  rowsOut: number;
  rowsIn: number | null;
  inserted: number;
  deleted: number;
  scopeValues: number;
  filesRead?: number;
  partitionsRead?: number;
  /** the input snapshots this build consumed: the step's next watermarks */
  watermarks: Record<string, number>;
}

let seq = 0;

/** Above this share of the stored scope values changed, a model rebuilds instead of merging. */
const REBUILD_SHARE = 0.5;

/** The rows that differ between two snapshots of a table (both directions), as SQL. */
async function changedRows(wh: Warehouse, table: string, from: number, to: number, columns: string[]): Promise<{ sql: string; files: number; partitions: number; rows: number }> {
  const now = await wh.lake.catalog.files(table, to);
  const then = from > 0 ? await wh.lake.catalog.files(table, from) : [];
  const thenPaths = new Set(then.map((f) => f.path)), nowPaths = new Set(now.map((f) => f.path));
  const added = now.filter((f) => !thenPaths.has(f.path)), removed = then.filter((f) => !nowPaths.has(f.path));
  const cols = columns.map(sqlIdent).join(', ');
  const read = (fs: typeof now) => `SELECT ${cols} FROM read_parquet(${sqlList(fs.map((f) => `${wh.lake.root}/${f.path}`))}, union_by_name = true)`;
  let sql: string;
  if (!added.length && !removed.length) sql = `SELECT ${cols} FROM ${viewName(table)} WHERE false`;
  else if (!removed.length) sql = read(added);
  else if (!added.length) sql = read(removed);
  else sql = `((${read(added)}) EXCEPT ALL (${read(removed)})) UNION ALL ((${read(removed)}) EXCEPT ALL (${read(added)}))`;
  const touched = [...added, ...removed];
  return { sql, files: touched.length, partitions: new Set(touched.map((f) => f.partition)).size, rows: touched.reduce((a, f) => a + f.rows, 0) };
}

async function count(wh: Warehouse, sql: string): Promise<number> {
  const [r] = await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${sql}`);
  return Number(r?.n ?? 0);
}

/** True when every commit to the table in (from, to] was a compaction: the same rows in other files. */
async function onlyCompacted(wh: Warehouse, table: string, from: number, to: number): Promise<boolean> {
  if (from === 0) return false;
  const snaps = (await wh.lake.catalog.snapshots(table)).filter((s) => s.snapshot > from && s.snapshot <= to);
  return snaps.length > 0 && snaps.every((s) => s.operation === 'compact');
}

async function rebuild(wh: Warehouse, m: SqlModel, layout: Layout | undefined, marks: Record<string, number>, why: string): Promise<IncrementalOutcome> {
  const r = await wh.lake.writeQuery(wh.conn, m.table, m.sql, { mode: 'replace', summary: { model: m.file, mode: 'rebuild' }, rowGroupRows: layout?.row_group_rows });
  await wh.refreshTable(m.table);
  return { mode: 'rebuild', note: `rebuilt: ${why}`, rowsOut: r.rows, rowsIn: null, inserted: r.rows, deleted: 0, scopeValues: 0, watermarks: marks };
}

export async function buildModelIncrementally(wh: Warehouse, m: SqlModel, opts: { watermarks: Map<string, number>; full?: boolean; layout?: Layout }): Promise<IncrementalOutcome> {
  // the snapshot of each input as this session reads it: what the step consumes
  const marks: Record<string, number> = {};
  for (const i of m.inputs) marks[i] = wh.snapshots.get(i) ?? 0;
  const inc = m.incremental;
  if (opts.full) return rebuild(wh, m, opts.layout, marks, 'full build');
  if (!(await wh.lake.catalog.tableExists(m.table))) return rebuild(wh, m, opts.layout, marks, 'first build');
  const missing = m.inputs.filter((i) => !opts.watermarks.has(i));
  if (missing.length) return rebuild(wh, m, opts.layout, marks, `no watermark yet for ${missing.join(', ')}`);
  // inputs whose rows changed since the watermark (a compaction moves rows, it changes none)
  const changed: string[] = [];
  for (const i of m.inputs) {
    const from = opts.watermarks.get(i)!, to = marks[i]!;
    if (from !== to && !(await onlyCompacted(wh, i, from, to))) changed.push(i);
  }
  if (!changed.length) {
    const [r] = await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${viewName(m.table)}`);
    return { mode: 'unchanged', note: 'no input changed since the last build', rowsOut: Number(r?.n ?? 0), rowsIn: 0, inserted: 0, deleted: 0, scopeValues: 0, filesRead: 0, partitionsRead: 0, watermarks: marks };
  }
  if (!inc) return rebuild(wh, m, opts.layout, marks, `an aggregate without a merge key cannot be merged (${changed.join(', ')} changed)`);

  const scopeCols = inc.scope;
  const id = `inc_${process.pid}_${++seq}`;
  const scopeParts: string[] = [];
  const inputCols = new Map<string, string[]>();
  let filesRead = 0, partitionsRead = 0, rowsIn = 0;
  for (const i of m.inputs) {
    const cols = await wh.columns(i);
    inputCols.set(i, cols);
    if (!changed.includes(i)) continue;
    const from = opts.watermarks.get(i)!, to = marks[i]!;
    const lacking = scopeCols.filter((c) => !cols.includes(c));
    if (lacking.length) return rebuild(wh, m, opts.layout, marks, `${i} changed and has no ${lacking.join(', ')} to scope it`);
    const d = await changedRows(wh, i, from, to, cols);
    filesRead += d.files; partitionsRead += d.partitions; rowsIn += d.rows;
    scopeParts.push(`SELECT ${scopeCols.map(sqlIdent).join(', ')} FROM (${d.sql})`);
  }
  const scope = `${id}_scope`, fresh = `${id}_new`, old = `${id}_old`, ins = `${id}_ins`, del = `${id}_del`;
  const conn = wh.conn;
  try {
    await conn.run(`CREATE TEMP TABLE ${scope} AS SELECT DISTINCT * FROM (${scopeParts.join(' UNION ALL ')})`);
    const scopeValues = await count(wh, scope);
    // when the change touches most of the table, recomputing it all is cheaper than restricting
    // every input and diffing (and gives the same rows)
    const scopeSql = scopeCols.map(sqlIdent).join(', ');
    const storedScope = await count(wh, `(SELECT DISTINCT ${scopeSql} FROM ${viewName(m.table)})`);
    if (scopeValues > REBUILD_SHARE * storedScope) {
      return await rebuild(wh, m, opts.layout, marks, `${scopeValues.toLocaleString('en-US')} of ${storedScope.toLocaleString('en-US')} ${scopeCols.join('+')} values changed (a rebuild is cheaper)`);
    }
    // every input restricted to the scope values, by the scope columns it has
    const wraps: Record<string, (current: string) => string> = {};
    for (const i of m.inputs) {
      const have = scopeCols.filter((c) => inputCols.get(i)!.includes(c));
      if (!have.length) continue;
      const list = have.map(sqlIdent).join(', ');
      wraps[i] = (current) => `SELECT x.* FROM (${current}) x SEMI JOIN (SELECT DISTINCT ${list} FROM ${scope}) s ON ${keyMatch(have, 'x', 's')}`;
    }
    await wh.withViews(wraps, () => conn.run(`CREATE TEMP TABLE ${fresh} AS ${m.sql}`));
    const cols = (await wh.describe(`SELECT * FROM ${fresh}`)).map((c) => sqlIdent(c.name)).join(', ');
    const stored = await wh.lake.filePaths(m.table);
    // the stored rows of the scope, as stored (not through the view, whose dt= column is the folder's)
    await conn.run(`CREATE TEMP TABLE ${old} AS SELECT ${cols.split(', ').map((c) => `x.${c}`).join(', ')} FROM read_parquet(${sqlList(stored)}, union_by_name = true, hive_partitioning = false) x
      SEMI JOIN ${scope} s ON ${keyMatch(scopeCols, 'x', 's')}`);
    await conn.run(`CREATE TEMP TABLE ${ins} AS SELECT ${cols} FROM ${fresh} EXCEPT ALL SELECT ${cols} FROM ${old}`);
    await conn.run(`CREATE TEMP TABLE ${del} AS SELECT ${cols} FROM ${old} EXCEPT ALL SELECT ${cols} FROM ${fresh}`);
    const r = await mergeRows(wh.lake, conn, m.table, { key: inc.key, deleted: del, inserted: ins, rowGroupRows: opts.layout?.row_group_rows, summary: { model: m.file, mode: 'merge', scope_values: scopeValues } });
    if (r.snapshot !== null) await wh.refreshTable(m.table);
    const [n] = await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${viewName(m.table)}`);
    return {
      mode: 'merge', note: `merged by ${inc.key.join(', ')}: ${scopeValues.toLocaleString('en-US')} ${scopeCols.join('+')} values recomputed, +${r.inserted} -${r.deleted} rows (${r.filesRemoved} files rewritten)`,
      rowsOut: Number(n?.n ?? 0), rowsIn, inserted: r.inserted, deleted: r.deleted, scopeValues, filesRead, partitionsRead, watermarks: marks,
    };
  } finally {
    for (const t of [scope, fresh, old, ins, del]) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  }
}
