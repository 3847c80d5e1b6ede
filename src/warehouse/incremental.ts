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
import { keyMatch, mergeRows, type ChangeFeed } from '../lake/merge.ts';
import type { LakeFile } from '../lake/catalog.ts';
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

/**
 * The files whose rows changed between two snapshots of a table: `added` hold rows that may be
 * new, `removed` rows that may be gone. A compaction whose inputs all held old rows adds a file
 * of old rows: it counts as neither (the common case: the previous run compacted what it had
 * read). A compaction that also merged newer files adds a file of both: it is `added`, and its
 * old inputs `removed`, so EXCEPT ALL cancels the old rows out. A merge of old files that wrote
 * a change feed (src/lake/merge.ts) is read from that feed alone: its rewritten files and their
 * replacements are like a compaction's, and the feed holds exactly the rows it removed and added.
 */
async function changedFiles(wh: Warehouse, table: string, from: number, to: number): Promise<{ added: LakeFile[]; removed: LakeFile[]; feeds: ChangeFeed[] }> {
  const old = new Set(from > 0 ? (await wh.lake.catalog.files(table, from)).map((f) => f.path) : []);
  const added = new Map<string, LakeFile>(), removed = new Map<string, LakeFile>();
  const feeds: ChangeFeed[] = [];
  for (const c of await wh.lake.catalog.changes(table, from, to)) {
    const movesOldRows = c.removed.every((f) => old.has(f.path));
    if (movesOldRows && (c.operation === 'compact' || c.changeFeed)) {
      for (const f of c.added) old.add(f.path);
      if (c.changeFeed) feeds.push(c.changeFeed);
      continue;
    }
    for (const f of c.removed) {
      if (added.has(f.path)) added.delete(f.path); // a file added and retired since: its rows are in what replaced it
      else if (old.has(f.path)) removed.set(f.path, f);
    }
    for (const f of c.added) added.set(f.path, f);
  }
  return { added: [...added.values()], removed: [...removed.values()], feeds };
}

/** The rows that differ between two snapshots of a table (both directions), as SQL. */
async function changedRows(wh: Warehouse, table: string, from: number, to: number, columns: string[]): Promise<{
  sql: string;
  files: number;
  partitions: number;
  rows: number;
  partitionNames: Set<string>;
}> {
  const { added, removed, feeds } = await changedFiles(wh, table, from, to);
  const cols = columns.map(sqlIdent).join(', ');
  const read = (paths: string[]) => `SELECT ${cols} FROM read_parquet(${sqlList(paths.map((p) => `${wh.lake.root}/${p}`))}, union_by_name = true)`;
  const files = (fs: LakeFile[]) => read(fs.map((f) => f.path));
  const parts: string[] = [];
  if (added.length && removed.length) parts.push(`((${files(added)}) EXCEPT ALL (${files(removed)})) UNION ALL ` +
    `((${files(removed)}) EXCEPT ALL (${files(added)}))`);
  else if (added.length || removed.length) parts.push(files(added.length ? added : removed));
  if (feeds.length) parts.push(read(feeds.map((f) => f.path)));
  const sql = parts.length ? parts.map((p) => `(${p})`).join(' UNION ALL ') : `SELECT ${cols} FROM ${viewName(table)} WHERE false`;
  const touched = [...added, ...removed];
  const partitionNames = new Set(touched.map((f) => f.partition));
  return {
    sql, files: touched.length + feeds.length, partitions: partitionNames.size,
    rows: touched.reduce((a, f) => a + f.rows, 0) + feeds.reduce((a, f) => a + f.rows, 0), partitionNames,
  };
}

/** The columns of a diff's stored side that name the file each row was read from, and its position there. */
const FILE_COLUMN = '_source_file', ROW_COLUMN = '_source_row';

/**
 * Where the rows to delete are stored, as (f, pos): the merge deletes them on read or rewrites
 * their files (src/lake/merge.ts) without scanning the table for their keys.
 */
async function positionsOf(wh: Warehouse, table: string, old: string, del: string, key: string[]): Promise<string> {
  await wh.conn.run(`CREATE TEMP TABLE ${table} AS SELECT o.${FILE_COLUMN} AS f, o.${ROW_COLUMN} AS pos FROM ${old} o ` +
    `SEMI JOIN ${del} d ON ${keyMatch(key, 'o', 'd')}`);
  return table;
}

/** The stored rows of a model's table as readers see them, with each row's file and position. */
async function storedScan(wh: Warehouse, table: string): Promise<string | null> {
  return wh.lake.readSql(table, undefined, { hive: false, fileColumn: FILE_COLUMN, rowColumn: ROW_COLUMN });
}

async function count(wh: Warehouse, sql: string): Promise<number> {
  const [r] = await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${sql}`);
  return Number(r?.n ?? 0);
}

/** True when no commit in (from, to] changed the table's rows (compactions of old rows only). */
async function unchangedSince(wh: Warehouse, table: string, from: number, to: number): Promise<boolean> {
  if (from === to) return true;
  if (from === 0) return false;
  const { added, removed, feeds } = await changedFiles(wh, table, from, to);
  return !added.length && !removed.length && !feeds.length;
}

/**
 * Recomputes the whole model and commits only what differs from the stored rows: by key when
 * the model has one (a merge), else a replace if anything differs. So a rebuild that changes
 * nothing commits nothing, and the models downstream see no change.
 */
async function recomputeAll(wh: Warehouse, m: SqlModel, layout: Layout | undefined, marks: Record<string, number>, why: string): Promise<IncrementalOutcome> {
  const id = `inc_${process.pid}_${++seq}`;
  const fresh = `${id}_new`, old = `${id}_old`, ins = `${id}_ins`, del = `${id}_del`, pos = `${id}_pos`;
  const conn = wh.conn;
  try {
    await conn.run(`CREATE TEMP TABLE ${fresh} AS ${m.sql}`);
    const cols = (await wh.describe(`SELECT * FROM ${fresh}`)).map((c) => sqlIdent(c.name)).join(', ');
    const stored = await storedScan(wh, m.table);
    await conn.run(stored
      ? `CREATE TEMP TABLE ${old} AS SELECT ${cols}, ${FILE_COLUMN}, ${ROW_COLUMN} FROM (${stored})`
      : `CREATE TEMP TABLE ${old} AS SELECT ${cols}, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} WHERE false`);
    await conn.run(`CREATE TEMP TABLE ${ins} AS SELECT ${cols} FROM ${fresh} EXCEPT ALL SELECT ${cols} FROM ${old}`);
    await conn.run(`CREATE TEMP TABLE ${del} AS SELECT ${cols} FROM ${old} EXCEPT ALL SELECT ${cols} FROM ${fresh}`);
    const inserted = await count(wh, ins), deleted = await count(wh, del), rows = await count(wh, fresh);
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
      const positions = await positionsOf(wh, pos, old, del, m.incremental.key);
      const r = await mergeRows(wh.lake, conn, m.table, {
        key: m.incremental.key,
        deleted: del,
        inserted: ins,
        positions,
        rowGroupRows: layout?.row_group_rows,
        summary: { model: m.file, mode: 'recompute' },
      });
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
    for (const t of [fresh, old, ins, del, pos]) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  }
}

async function rebuild(wh: Warehouse, m: SqlModel, layout: Layout | undefined, marks: Record<string, number>, why: string): Promise<IncrementalOutcome> {
  const r = await wh.lake.writeQuery(wh.conn, m.table, m.sql, {
    mode: 'replace',
    summary: { model: m.file, mode: 'rebuild' },
    rowGroupRows: layout?.row_group_rows,
  });
  await wh.refreshTable(m.table);
  return { mode: 'rebuild', note: `rebuilt: ${why}`, rowsOut: r.rows, rowsIn: null, inserted: r.rows, deleted: 0, scopeValues: 0, watermarks: marks };
}

export async function buildModelIncrementally(
  wh: Warehouse,
  m: SqlModel,
  opts: { watermarks: Map<string, number>; full?: boolean; layout?: Layout },
): Promise<IncrementalOutcome> {
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
    if (!(await unchangedSince(wh, i, from, to))) changed.push(i);
  }
  if (!changed.length) {
    // rows from the catalog: counting the view would scan a table with deletes on read
    return {
      mode: 'unchanged',
      note: 'no input changed since the last build',
      rowsOut: await wh.lake.catalog.rowCount(m.table),
      rowsIn: 0,
      inserted: 0,
      deleted: 0,
      scopeValues: 0,
      filesRead: 0,
      partitionsRead: 0,
      watermarks: marks,
    };
  }
  if (!inc) return recomputeAll(wh, m, opts.layout, marks, `an aggregate without a merge key cannot be merged; ${changed.join(', ')} changed`);

  const scopeCols = inc.scope;
  const id = `inc_${process.pid}_${++seq}`;
  const scopeParts: string[] = [];
  const inputCols = new Map<string, string[]>();
  const changedPartitions = new Map<string, Set<string>>();
  let filesRead = 0, partitionsRead = 0, rowsIn = 0;
  for (const i of m.inputs) {
    const cols = await wh.columns(i);
    inputCols.set(i, cols);
    if (!changed.includes(i)) continue;
    const from = opts.watermarks.get(i)!, to = marks[i]!;
    const lacking = scopeCols.filter((c) => !cols.includes(c));
    if (lacking.length) return recomputeAll(wh, m, opts.layout, marks, `${i} changed and has no ${lacking.join(', ')} to scope it`);
    const d = await changedRows(wh, i, from, to, cols);
    filesRead += d.files; partitionsRead += d.partitions; rowsIn += d.rows;
    changedPartitions.set(i, d.partitionNames);
    scopeParts.push(`SELECT ${scopeCols.map(sqlIdent).join(', ')} FROM (${d.sql})`);
  }
  const scope = `${id}_scope`, fresh = `${id}_new`, old = `${id}_old`, ins = `${id}_ins`, del = `${id}_del`, pos = `${id}_pos`;
  const conn = wh.conn;
  try {
    await conn.run(`CREATE TEMP TABLE ${scope} AS SELECT DISTINCT * FROM (${scopeParts.join(' UNION ALL ')})`);
    const scopeValues = await count(wh, scope);
    // when the change touches most of the table, recomputing it all is cheaper than restricting
    // every input and diffing (and gives the same rows)
    // the stored rows (from the catalog, no scan) bound the stored scope values from above
    const storedRows = (await wh.lake.catalog.files(m.table)).reduce((a, f) => a + f.rows, 0);
    if (scopeValues > REBUILD_SHARE * storedRows) {
      return await recomputeAll(
        wh,
        m,
        opts.layout,
        marks,
        `${scopeValues.toLocaleString('en-US')} ${scopeCols.join('+')} values changed ` +
          `for ${storedRows.toLocaleString('en-US')} stored rows (a rebuild is cheaper)`,
      );
    }
    // every input restricted to the scope values, by the scope columns it has
    const wraps: Record<string, (current: string) => string> = {};
    for (const i of m.inputs) {
      const have = scopeCols.filter((c) => inputCols.get(i)!.includes(c));
      if (!have.length) continue;
      const list = have.map(sqlIdent).join(', ');
      const parts = inc.partitionLocal ? changedPartitions.get(i) : undefined;
      if (parts && i.startsWith('raw.')) {
        // partition-local: the scope values' rows are in the partitions that changed, nowhere else
        const files = (await wh.lake.catalog.files(i, marks[i])).filter((f) => parts.has(f.partition)).map((f) => `${wh.lake.root}/${f.path}`);
        const cols = inputCols.get(i)!.map(sqlIdent).join(', ');
        const source = files.length
          ? `SELECT ${cols} FROM read_parquet(${sqlList(files)}, union_by_name = true)`
          : `SELECT ${cols} FROM ${viewName(i)} WHERE false`;
        wraps[i] = () => `SELECT x.* FROM (${source}) x SEMI JOIN (SELECT DISTINCT ${list} FROM ${scope}) s ON ${keyMatch(have, 'x', 's')}`;
        continue;
      }
      wraps[i] = (current) => `SELECT x.* FROM (${current}) x SEMI JOIN (SELECT DISTINCT ${list} FROM ${scope}) s ON ${keyMatch(have, 'x', 's')}`;
    }
    await wh.withViews(wraps, () => conn.run(`CREATE TEMP TABLE ${fresh} AS ${m.sql}`));
    const cols = (await wh.describe(`SELECT * FROM ${fresh}`)).map((c) => sqlIdent(c.name)).join(', ');
    const stored = await storedScan(wh, m.table);
    // the stored rows of the scope, as stored (not through the view, whose dt= column is the folder's)
    await conn.run(`CREATE TEMP TABLE ${old} AS SELECT ${cols.split(', ').map((c) => `x.${c}`).join(', ')}, x.${FILE_COLUMN}, x.${ROW_COLUMN}
      FROM (${stored ?? `SELECT ${cols}, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} WHERE false`}) x
      SEMI JOIN ${scope} s ON ${keyMatch(scopeCols, 'x', 's')}`);
    await conn.run(`CREATE TEMP TABLE ${ins} AS SELECT ${cols} FROM ${fresh} EXCEPT ALL SELECT ${cols} FROM ${old}`);
    await conn.run(`CREATE TEMP TABLE ${del} AS SELECT ${cols} FROM ${old} EXCEPT ALL SELECT ${cols} FROM ${fresh}`);
    const positions = await positionsOf(wh, pos, old, del, inc.key);
    const r = await mergeRows(wh.lake, conn, m.table, {
      key: inc.key,
      deleted: del,
      inserted: ins,
      positions,
      rowGroupRows: opts.layout?.row_group_rows,
      summary: { model: m.file, mode: 'merge', scope_values: scopeValues },
    });
    if (r.snapshot !== null) await wh.refreshTable(m.table);
    const n = { n: await wh.lake.catalog.rowCount(m.table) };
    return {
      mode: 'merge',
      note: `merged by ${inc.key.join(', ')}: ${scopeValues.toLocaleString('en-US')} ${scopeCols.join('+')} values ` +
        `recomputed, +${r.inserted} -${r.deleted} rows (${r.filesRemoved} files rewritten, ${r.deleteFiles} deleted on read)`,
      rowsOut: Number(n?.n ?? 0), rowsIn, inserted: r.inserted, deleted: r.deleted, scopeValues, filesRead, partitionsRead, watermarks: marks,
    };
  } finally {
    for (const t of [scope, fresh, old, ins, del, pos]) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  }
}
