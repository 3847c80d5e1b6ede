// What changed in a lake table between two snapshots, read from the catalog alone (the files
// added and retired, and merges' change feeds), and those changed rows as SQL.
import { sqlIdent, sqlList } from '../../lake/duck.ts';
import type { ChangeFeed } from '../../lake/merge.ts';
import type { LakeFile } from '../../lake/catalog.ts';
import { viewName, type Warehouse } from '../session.ts';

export type FileChanges = { added: LakeFile[]; removed: LakeFile[]; feeds: ChangeFeed[] };

/**
 * changedFiles per session, by (table, from, to): a step asks twice for each changed input (did
 * it change; then its rows), and the commits between two snapshots never change.
 */
const changeCache = new WeakMap<Warehouse, Map<string, Promise<FileChanges>>>();

export function changedFiles(wh: Warehouse, table: string, from: number, to: number): Promise<FileChanges> {
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
 * A merge that deleted nothing wrote no feed: it retired nothing, and its added files hold exactly
 * the rows it inserted, so they are `added` like an append's.
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
export async function changedRows(wh: Warehouse, table: string, from: number, to: number, columns: string[]): Promise<{
  sql: string;
  files: number;
  partitions: number;
  rows: number;
  partitionNames: Set<string>;
}> {
  const { added, removed, feeds } = await changedFiles(wh, table, from, to);
  const cols = columns.map(sqlIdent).join(', ');
  // files written before the table's model gained a column lack it: it reads as NULL (a replace
  // by the new model then differs in every row, as it should), not as a binder error
  const pad = columns.map((c) => `NULL AS ${sqlIdent(c)}`).join(', ');
  const read = (paths: string[]) => `SELECT ${cols} FROM (SELECT * FROM read_parquet(${sqlList(paths.map((p) => `${wh.lake.root}/${p}`))}, ` +
    `union_by_name = true) UNION ALL BY NAME SELECT ${pad} WHERE false)`;
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

/** True when no commit in (from, to] changed the table's rows (compactions of old rows only). */
export async function unchangedSince(wh: Warehouse, table: string, from: number, to: number): Promise<boolean> {
  if (from === to) return true;
  if (from === 0) return false;
  const { added, removed, feeds } = await changedFiles(wh, table, from, to);
  return !added.length && !removed.length && !feeds.length;
}
