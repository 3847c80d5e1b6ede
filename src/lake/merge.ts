// MERGE INTO for lake tables: rows to delete (matched by key) and rows to insert, committed as
// one 'merge' snapshot. A file holding a few deleted rows gets a delete file naming their
// positions (deletes on read, src/lake/deletes.ts); one holding many is rewritten without them,
// and the inserted rows and those kept rows go into one new file. Readers of an older snapshot
// still see the old files.
// A merge that deletes rows also writes its change feed (as Delta's change data feed does): the
// rows it removed and the rows it inserted, one file named in the snapshot's summary (`changes`).
// An incremental reader downstream reads that small file instead of diffing the rewritten files
// against their replacements, which would cost a scan of the whole table for a handful of
// changed rows. A merge that only inserts (the common case for event tables) rewrites nothing
// and adds files holding exactly the inserted rows: those files are the change, as an append's
// are (src/warehouse/incremental/changes.ts), and no feed is written.
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { splitTableName, type LakeFile } from './catalog.ts';
import { scanSql, writeDeleteFiles } from './deletes.ts';
import { copyToParquet, sqlIdent } from './duck.ts';
import type { Lake } from './lake.ts';

/** A merge's change feed: lake-relative path and rows (removed + inserted). */
export interface ChangeFeed { path: string; rows: number }

/** The column of a change feed file that says which side a row is on: 'delete' or 'insert'. */
export const CHANGE_COLUMN = '_change';

export interface MergeResult {
  snapshot: number | null;
  inserted: number;
  deleted: number;
  filesAdded: number;
  /** data files rewritten without their deleted rows */
  filesRemoved: number;
  /** delete files written: data files whose deleted rows are skipped on read instead */
  deleteFiles: number;
}

/** `a.k IS NOT DISTINCT FROM b.k AND ...`: keys may be NULL and still match. */
export function keyMatch(key: string[], a: string, b: string): string {
  return key.map((k) => `${a}.${sqlIdent(k)} IS NOT DISTINCT FROM ${b}.${sqlIdent(k)}`).join(' AND ');
}

async function count(conn: DuckDBConnection, relation: string): Promise<number> {
  return Number((await conn.runAndReadAll(`SELECT count(*) FROM ${relation}`)).getRows()[0]![0]);
}

/**
 * A data file whose deleted rows (those already skipped plus this merge's) reach this share of
 * its rows is rewritten (copy on write); below it, the merge writes a delete file and readers skip
 * the rows (merge on read). A few deleted rows of a big file then cost a tiny write instead of
 * the whole file's, and a file mostly deleted is not kept around to be skipped.
 */
export const REWRITE_SHARE = 0.2;

/**
 * `deleted` and `inserted` name relations (tables or views) with the table's columns; a key
 * names one row of the table. Rows of the table whose key matches a deleted row are removed;
 * every inserted row is added. `positions`, when the caller already knows where the deleted rows
 * are stored, is a relation of (f: absolute data file path as read, pos: row position in it):
 * it saves the scan that finds them, and lets the merge delete on read (REWRITE_SHARE).
 * Without it, the files holding a deleted key are found by a scan and rewritten.
 */
export async function mergeRows(
  lake: Lake,
  conn: DuckDBConnection,
  table: string,
  opts: {
    key: string[];
    deleted: string;
    inserted: string;
    positions?: string;
    /** the rows of `positions` per file (absolute path as read), when the caller counted them (saves a pass) */
    positionCounts?: Map<string, number>;
    /** the rows of `deleted` and `inserted` when the caller knows them (saves two counting passes) */
    counts?: { deleted: number; inserted: number };
    rowGroupRows?: number;
    summary?: Record<string, unknown>;
  },
): Promise<MergeResult> {
  const deleted = opts.counts?.deleted ?? await count(conn, opts.deleted);
  const inserted = opts.counts?.inserted ?? await count(conn, opts.inserted);
  if (!deleted && !inserted) return { snapshot: null, inserted, deleted, filesAdded: 0, filesRemoved: 0, deleteFiles: 0 };
  const { files, deletes } = await lake.catalog.filesWithDeletes(table);
  let rewrite: LakeFile[] = [];
  const onRead: LakeFile[] = [];
  const hitCounts = new Map<string, number>();
  if (deleted && files.length) {
    if (opts.positions) {
      const rows = opts.positionCounts
        ? [...opts.positionCounts].map(([f, n]) => ({ f, n }))
        : (await conn.runAndReadAll(`SELECT f, count(*)::BIGINT AS n FROM ${opts.positions} GROUP BY f`)).getRowObjectsJS();
      for (const r of rows) hitCounts.set(lake.relative(String(r.f)), Number(r.n));
      const skipped = new Map<string, number>();
      for (const d of deletes) skipped.set(d.of, (skipped.get(d.of) ?? 0) + d.rows);
      for (const f of files) {
        const n = hitCounts.get(f.path);
        if (!n) continue;
        if ((n + (skipped.get(f.path) ?? 0)) >= REWRITE_SHARE * f.rows) rewrite.push(f);
        else onRead.push(f);
      }
    } else {
      // the stored columns, not the view's: the dt= folder must not become a column of the new file
      const hits = new Set((await conn.runAndReadAll(`SELECT DISTINCT x._file AS f FROM ` +
        `(${scanSql(lake.root, files, deletes, { hive: false, fileColumn: '_file' })}) x
        SEMI JOIN ${opts.deleted} d ON ${keyMatch(opts.key, 'x', 'd')}`)).getRowObjectsJS().map((r) => lake.relative(String(r.f))));
      rewrite = files.filter((f) => hits.has(f.path));
    }
  }
  const parts: string[] = [];
  if (rewrite.length) {
    // the rewritten files' rows as readers see them (their delete files applied), less the deleted
    const kept = scanSql(lake.root, rewrite, deletes, { hive: false });
    parts.push(opts.positions
      ? `SELECT * FROM (${scanSql(lake.root, rewrite, deletes, { hive: false, extraDeletes: opts.positions })})`
      : `SELECT x.* FROM (${kept}) x ANTI JOIN ${opts.deleted} d ON ${keyMatch(opts.key, 'x', 'd')}`);
  }
  if (inserted) parts.push(`SELECT * FROM ${opts.inserted}`);
  const tag = `${Date.now().toString(36)}-${process.pid}-${++feeds}`;
  const add = parts.length ? await writeDataFile(lake, conn, table, parts.join(' UNION ALL BY NAME '), tag, opts.rowGroupRows) : [];
  const addDeletes = onRead.length ? await writeDeleteFiles(conn, lake.root, onRead, opts.positions!, hitCounts, tag) : [];
  // nothing deleted: nothing rewritten nor deleted on read, the added files are the inserted rows
  const changes = deleted ? await writeChangeFeed(lake, conn, table, opts) : undefined;
  const snaps = await lake.catalog.commit([{ table, add, remove: rewrite.map((f) => f.path), addDeletes, operation: 'merge' }], {
    summary: { ...opts.summary, inserted, deleted, ...(changes ? { changes } : {}), ...(addDeletes.length ? { delete_files: addDeletes.length } : {}) },
  });
  return { snapshot: snaps.get(table) ?? null, inserted, deleted, filesAdded: add.length, filesRemoved: rewrite.length, deleteFiles: addDeletes.length };
}

/**
 * The merge's one new data file, written straight into the table's folder (a merge's files are
 * never partitioned) rather than through a staging folder (lake.writeFiles): a folder made,
 * renamed from and removed per merge were five file system updates, ~1 ms each under load, for
 * one file. Like the change feed's, a process killed before the commit leaves an unreferenced
 * file for vacuum; a failed write removes its partial file.
 */
async function writeDataFile(lake: Lake, conn: DuckDBConnection, table: string, query: string, tag: string, rowGroupRows?: number): Promise<LakeFile[]> {
  const { zone, name } = splitTableName(table);
  const rel = join(zone, name, 'dt=all', `part-${tag}.parquet`);
  const { rows, bytes } = await copyToParquet(conn, query, join(lake.root, rel), { rowGroupRows });
  return [{ path: rel, partition: 'dt=all', rows, bytes }];
}

/**
 * The merge's removed rows (the deleted rows: a key names one row) and its inserted rows, in one
 * file under the table's folder (in a dt= folder like the table's own files, so a reader sees
 * the same columns). Written before the commit: a process killed in between leaves an
 * unreferenced file for vacuum.
 */
async function writeChangeFeed(lake: Lake, conn: DuckDBConnection, table: string, opts: { deleted: string; inserted: string }): Promise<ChangeFeed> {
  const { zone, name } = splitTableName(table);
  const rel = join(zone, name, 'dt=all', '_changes', `changes-${Date.now().toString(36)}-${process.pid}-${++feeds}.parquet`);
  const rows = `SELECT *, 'delete' AS ${CHANGE_COLUMN} FROM ${opts.deleted} UNION ALL BY NAME SELECT *, 'insert' AS ${CHANGE_COLUMN} FROM ${opts.inserted}`;
  return { path: rel, rows: (await copyToParquet(conn, rows, join(lake.root, rel))).rows };
}

let feeds = 0;
