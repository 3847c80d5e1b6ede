// MERGE INTO for lake tables: rows to delete (matched by key) and rows to insert, committed as
// one 'merge' snapshot. Only the files holding a deleted row are rewritten (their other rows are
// kept); the inserted rows and those kept rows go into one new file. Readers of an older
// snapshot still see the old files.
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent, sqlList } from './duck.ts';
import type { Lake } from './lake.ts';

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
 * `deleted` and `inserted` name relations (tables or views) with the table's columns. Rows of the
 * table whose key matches a deleted row are removed; every inserted row is added.
 */
export async function mergeRows(lake: Lake, conn: DuckDBConnection, table: string, opts: { key: string[]; deleted: string; inserted: string; rowGroupRows?: number; summary?: Record<string, unknown> }): Promise<MergeResult> {
  const deleted = await count(conn, opts.deleted);
  const inserted = await count(conn, opts.inserted);
  if (!deleted && !inserted) return { snapshot: null, inserted, deleted, filesAdded: 0, filesRemoved: 0 };
  const files = await lake.catalog.files(table);
  let rewrite: string[] = [];
  if (deleted && files.length) {
    const abs = files.map((f) => join(lake.root, f.path));
    // the stored columns, not the view's: the dt= folder must not become a column of the new file
    const hit = (await conn.runAndReadAll(`SELECT DISTINCT x.filename AS f FROM read_parquet(${sqlList(abs)}, filename = true, union_by_name = true, hive_partitioning = false) x
      SEMI JOIN ${opts.deleted} d ON ${keyMatch(opts.key, 'x', 'd')}`)).getRowObjectsJS().map((r) => String(r.f));
    const hits = new Set(hit);
    rewrite = files.filter((f) => hits.has(join(lake.root, f.path))).map((f) => f.path);
  }
  const parts: string[] = [];
  if (rewrite.length) {
    parts.push(`SELECT x.* FROM read_parquet(${sqlList(rewrite.map((p) => join(lake.root, p)))}, union_by_name = true, hive_partitioning = false) x
      ANTI JOIN ${opts.deleted} d ON ${keyMatch(opts.key, 'x', 'd')}`);
  }
  if (inserted) parts.push(`SELECT * FROM ${opts.inserted}`);
  const add = parts.length ? await lake.writeFiles(conn, table, parts.join(' UNION ALL BY NAME '), { rowGroupRows: opts.rowGroupRows }) : [];
  const snaps = await lake.catalog.commit([{ table, add, remove: rewrite, operation: 'merge' }], { summary: { ...opts.summary, inserted, deleted } });
  return { snapshot: snaps.get(table) ?? null, inserted, deleted, filesAdded: add.length, filesRemoved: rewrite.length };
}
