// MERGE INTO for lake tables: rows to delete (matched by key) and rows to insert, committed as
// one 'merge' snapshot. Only the files holding a deleted row are rewritten (their other rows are
// kept); the inserted rows and those kept rows go into one new file. Readers of an older
// snapshot still see the old files.
// Each merge also writes its change feed (as Delta's change data feed does): the rows it removed
// and the rows it inserted, one file named in the snapshot's summary (`changes`). An incremental
// reader downstream reads that small file instead of diffing the rewritten files against their
// replacements, which would cost a scan of the whole table for a handful of changed rows.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { splitTableName } from './catalog.ts';
import { sqlIdent, sqlList, sqlString } from './duck.ts';
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
  filesRemoved: number;
}

/** `a.k IS NOT DISTINCT FROM b.k AND ...`: keys may be NULL and still match. */
export function keyMatch(key: string[], a: string, b: string): string {
  return key.map((k) => `${a}.${sqlIdent(k)} IS NOT DISTINCT FROM ${b}.${sqlIdent(k)}`).join(' AND ');
}

async function count(conn: DuckDBConnection, relation: string): Promise<number> {
  return Number((await conn.runAndReadAll(`SELECT count(*) FROM ${relation}`)).getRows()[0]![0]);
}

/**
 * `deleted` and `inserted` name relations (tables or views) with the table's columns; a key
 * names one row of the table. Rows of the table whose key matches a deleted row are removed;
 * every inserted row is added. `hitFiles` (lake-relative paths), when the caller already knows
 * which files hold the deleted keys, saves the scan that finds them.
 */
export async function mergeRows(lake: Lake, conn: DuckDBConnection, table: string, opts: { key: string[]; deleted: string; inserted: string; hitFiles?: string[]; rowGroupRows?: number; summary?: Record<string, unknown> }): Promise<MergeResult> {
  const deleted = await count(conn, opts.deleted);
  const inserted = await count(conn, opts.inserted);
  if (!deleted && !inserted) return { snapshot: null, inserted, deleted, filesAdded: 0, filesRemoved: 0 };
  const files = await lake.catalog.files(table);
  let rewrite: string[] = [];
  if (deleted && files.length) {
    let hits: Set<string>;
    if (opts.hitFiles) hits = new Set(opts.hitFiles.map((p) => join(lake.root, p)));
    else {
      const abs = files.map((f) => join(lake.root, f.path));
      // the stored columns, not the view's: the dt= folder must not become a column of the new file
      hits = new Set((await conn.runAndReadAll(`SELECT DISTINCT x.filename AS f FROM read_parquet(${sqlList(abs)}, filename = true, union_by_name = true, hive_partitioning = false) x
        SEMI JOIN ${opts.deleted} d ON ${keyMatch(opts.key, 'x', 'd')}`)).getRowObjectsJS().map((r) => String(r.f)));
    }
    rewrite = files.filter((f) => hits.has(join(lake.root, f.path))).map((f) => f.path);
  }
  const parts: string[] = [];
  if (rewrite.length) {
    parts.push(`SELECT x.* FROM read_parquet(${sqlList(rewrite.map((p) => join(lake.root, p)))}, union_by_name = true, hive_partitioning = false) x
      ANTI JOIN ${opts.deleted} d ON ${keyMatch(opts.key, 'x', 'd')}`);
  }
  if (inserted) parts.push(`SELECT * FROM ${opts.inserted}`);
  const add = parts.length ? await lake.writeFiles(conn, table, parts.join(' UNION ALL BY NAME '), { rowGroupRows: opts.rowGroupRows }) : [];
  const changes = await writeChangeFeed(lake, conn, table, opts);
  const snaps = await lake.catalog.commit([{ table, add, remove: rewrite, operation: 'merge' }], { summary: { ...opts.summary, inserted, deleted, changes } });
  return { snapshot: snaps.get(table) ?? null, inserted, deleted, filesAdded: add.length, filesRemoved: rewrite.length };
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
  const abs = join(lake.root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  const rows = `SELECT *, 'delete' AS ${CHANGE_COLUMN} FROM ${opts.deleted} UNION ALL BY NAME SELECT *, 'insert' AS ${CHANGE_COLUMN} FROM ${opts.inserted}`;
  const r = (await conn.runAndReadAll(`COPY (${rows}) TO ${sqlString(abs)} (FORMAT PARQUET, COMPRESSION ZSTD, RETURN_STATS true)`)).getRowObjectsJS() as { count: bigint | number }[];
  return { path: rel, rows: r.reduce((a, x) => a + Number(x.count), 0) };
}

let feeds = 0;
