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
import { sqlIdent, sqlList, sqlString } from '../lake/duck.ts';
import { scanSql } from '../lake/deletes.ts';
import { keyMatch, mergeRows, type ChangeFeed } from '../lake/merge.ts';
import type { LakeFile } from '../lake/catalog.ts';
import type { SqlModel } from './models.ts';
import { dayOf } from './partitions.ts';
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

type FileChanges = { added: LakeFile[]; removed: LakeFile[]; feeds: ChangeFeed[] };

/**
 * changedFiles per session, by (table, from, to): a step asks twice for each changed input (did
 * it change; then its rows), and the commits between two snapshots never change.
 */
const changeCache = new WeakMap<Warehouse, Map<string, Promise<FileChanges>>>();

function changedFiles(wh: Warehouse, table: string, from: number, to: number): Promise<FileChanges> {
  let cache = changeCache.get(wh);
  if (!cache) changeCache.set(wh, (cache = new Map()));
  const key = `${table}:${from}:${to}`;
  let p = cache.get(key);
  if (!p) {
    if (cache.size >= 256) cache.clear();
    p = readChangedFiles(wh, table, from, to);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * The files whose rows changed between two snapshots of a table: `added` hold rows that may be
 * new, `removed` rows that may be gone. A compaction whose inputs all held old rows adds a file
 * of old rows: it counts as neither (the common case: the previous run compacted what it had
 * read). A compaction that also merged newer files adds a file of both: it is `added`, and its
 * old inputs `removed`, so EXCEPT ALL cancels the old rows out. A merge of old files that wrote
 * a change feed (src/lake/merge.ts) is read from that feed alone: its rewritten files and their
 * replacements are like a compaction's, and the feed holds exactly the rows it removed and added.
 */
async function readChangedFiles(wh: Warehouse, table: string, from: number, to: number): Promise<FileChanges> {
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

/** The stored rows of a model's table as readers see them, with each row's file and position. */
async function storedScan(wh: Warehouse, table: string): Promise<string | null> {
  return wh.lake.readSql(table, undefined, { hive: false, fileColumn: FILE_COLUMN, rowColumn: ROW_COLUMN });
}

/**
 * Reads the stored side of a diff; returns why the model must rebuild instead when the stored
 * files lack a column the model now gives (a table first built from empty inputs: an empty raw
 * table's view has no dt= column), else null.
 */
async function storedSide(wh: Warehouse, sql: string): Promise<string | null> {
  try {
    await wh.conn.run(sql);
    return null;
  } catch (e) {
    const msg = String((e as Error).message);
    if (/^Binder Error: .*(does not have a column named|Referenced column .* not found)/m.test(msg)) return `its stored files lack a column it gives now (${msg.split('\n')[0]})`;
    throw e;
  }
}

/** Makes a temp table of a query's rows; returns how many (CREATE TABLE AS reports it: no count(*) pass). */
async function createTemp(wh: Warehouse, name: string, sql: string): Promise<number> {
  const r = await wh.conn.runAndReadAll(`CREATE TEMP TABLE ${name} AS ${sql}`);
  return Number((r.getRows()[0]?.[0] as bigint | number | undefined) ?? 0);
}

async function dropTemps(wh: Warehouse, names: string[]): Promise<void> {
  await wh.conn.run(names.map((t) => `DROP TABLE IF EXISTS ${t};`).join(' '));
}

/**
 * The difference between recomputed rows (`fresh`) and the stored rows they replace (`old`, with
 * each row's file and position), for a model with a merge key (a key names one row): `ins` the
 * fresh rows no stored row equals, `del` the stored rows no fresh row equals, with their
 * positions (what the merge deletes). Two anti joins on every column (NULLs equal), as a
 * hash join: what two EXCEPT ALLs and a positions join gave, in two passes instead of three,
 * and without EXCEPT ALL's per-row window (3x slower on curated.plays' scope).
 */
async function diffByKey(wh: Warehouse, fresh: string, old: string, ins: string, del: string, cols: string[]): Promise<{ inserted: number; deleted: number }> {
  const same = cols.map((c) => `f.${c} IS NOT DISTINCT FROM o.${c}`).join(' AND ');
  const inserted = await createTemp(wh, ins, `SELECT f.* FROM ${fresh} f ANTI JOIN ${old} o ON ${same}`);
  const deleted = await createTemp(wh, del, `SELECT o.* FROM ${old} o ANTI JOIN ${fresh} f ON ${same}`);
  return { inserted, deleted };
}

/** Merges a diff (diffByKey's tables) into the model's table; the deleted rows' positions come with them. */
function mergeDiff(wh: Warehouse, m: SqlModel, key: string[], d: { ins: string; del: string; cols: string[]; inserted: number; deleted: number },
  layout: Layout | undefined, summary: Record<string, unknown>) {
  return mergeRows(wh.lake, wh.conn, m.table, {
    key,
    deleted: `(SELECT ${d.cols.join(', ')} FROM ${d.del})`,
    inserted: d.ins,
    positions: `(SELECT ${FILE_COLUMN} AS f, ${ROW_COLUMN} AS pos FROM ${d.del})`,
    counts: { inserted: d.inserted, deleted: d.deleted },
    rowGroupRows: layout?.row_group_rows,
    summary,
  });
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

async function rebuild(wh: Warehouse, m: SqlModel, layout: Layout | undefined, marks: Record<string, number>, why: string): Promise<IncrementalOutcome> {
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
  if (inc.scope.length === 1 && inc.scope[0] === m.partition) return mergeByDay(wh, m, inc.key, opts, marks, changed);

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
  const scope = `${id}_scope`, fresh = `${id}_new`, old = `${id}_old`, ins = `${id}_ins`, del = `${id}_del`;
  try {
    const scopeValues = await createTemp(wh, scope, `SELECT DISTINCT * FROM (${scopeParts.join(' UNION ALL ')})`);
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
    // every input restricted to the scope values, by the scope columns it has: the model's
    // references to it read a CTE instead (the session's views stay as they are: re-pointing a
    // view over hundreds of raw files costs a bind of all of them, twice per step)
    const restricted = new Map<string, string>();
    // partition-local: a scope value's rows sit in one partition of every input, so a value named
    // by one input's change is read in that partition of the others too (the union of changes)
    const localParts = new Set([...changedPartitions.values()].flatMap((ps) => [...ps]));
    for (const i of m.inputs) {
      const have = scopeCols.filter((c) => inputCols.get(i)!.includes(c));
      if (!have.length) continue;
      const list = have.map(sqlIdent).join(', ');
      let source = viewName(i);
      if (inc.partitionLocal && i.startsWith('raw.')) {
        // partition-local: the scope values' rows are in the partitions that changed, nowhere else
        const files = (await wh.lake.catalog.files(i, marks[i])).filter((f) => localParts.has(f.partition)).map((f) => `${wh.lake.root}/${f.path}`);
        const cols = inputCols.get(i)!.map(sqlIdent).join(', ');
        source = files.length
          ? `(SELECT ${cols} FROM read_parquet(${sqlList(files)}, union_by_name = true))`
          : `(SELECT ${cols} FROM ${viewName(i)} WHERE false)`;
      }
      restricted.set(i, `SELECT x.* FROM ${source} x SEMI JOIN (SELECT DISTINCT ${list} FROM ${scope}) s ON ${keyMatch(have, 'x', 's')}`);
    }
    const rows = await createTemp(wh, fresh, withInputs(m.sql, restricted, id));
    const colList = (await wh.describe(`SELECT * FROM ${fresh}`)).map((c) => sqlIdent(c.name));
    const cols = colList.join(', ');
    const stored = await storedScan(wh, m.table);
    // the stored rows of the scope, as stored (not through the view, whose dt= column is the folder's)
    const stale = await storedSide(wh, `CREATE TEMP TABLE ${old} AS SELECT ${colList.map((c) => `x.${c}`).join(', ')}, x.${FILE_COLUMN}, x.${ROW_COLUMN}
      FROM (${stored ?? `SELECT ${cols}, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} WHERE false`}) x
      SEMI JOIN ${scope} s ON ${keyMatch(scopeCols, 'x', 's')}`);
    if (stale) return await rebuild(wh, m, opts.layout, marks, stale);
    const d = await diffByKey(wh, fresh, old, ins, del, colList);
    const r = await mergeDiff(wh, m, inc.key, { ins, del, cols: colList, ...d }, opts.layout, { model: m.file, mode: 'merge', scope_values: scopeValues });
    if (r.snapshot !== null) await wh.refreshTable(m.table);
    return {
      mode: 'merge',
      note: `merged by ${inc.key.join(', ')}: ${scopeValues.toLocaleString('en-US')} ${scopeCols.join('+')} values ` +
        `recomputed (${rows.toLocaleString('en-US')} rows), +${r.inserted} -${r.deleted} rows ` +
        `(${r.filesRemoved} files rewritten, ${r.deleteFiles} deleted on read)`,
      rowsOut: await wh.lake.catalog.rowCount(m.table),
      rowsIn, inserted: r.inserted, deleted: r.deleted, scopeValues, filesRead, partitionsRead, watermarks: marks,
    };
  } finally {
    await dropTemps(wh, [scope, fresh, old, ins, del]);
  }
}

/**
 * a comment or a string literal (left as they are: an apostrophe in a comment must not open a
 * "string" that hides the references after it), or a zone.table reference
 */
const ZONE_REF = /--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|\b(raw|curated|features|inference|quarantine)\.([a-z_][a-z0-9_]*)\b/g;

/**
 * A model's SELECT with its references to some input tables replaced by CTEs of the given
 * queries (the model's own WITH, if any, stays inside: a subquery may have its own).
 */
export function withInputs(sql: string, inputs: Map<string, string>, id: string): string {
  if (!inputs.size) return sql;
  const names = new Map([...inputs.keys()].map((t, n) => [t, `${id}_in${n}`]));
  const body = sql.replace(ZONE_REF, (ref: string, zone?: string, name?: string) => (zone ? names.get(`${zone}.${name}`) ?? ref : ref));
  const ctes = [...inputs].map(([t, q]) => `${names.get(t)} AS (${q})`).join(',\n');
  // the closing parenthesis on its own line: the model may end with a comment
  return `WITH ${ctes}\nSELECT * FROM (\n${body}\n)`;
}

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
async function mergeByDay(
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
  const id = `inc_${process.pid}_${++seq}`;
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
