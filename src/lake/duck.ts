// DuckDB in process: the lake uses it to write Parquet, the warehouse to query. DuckDB is never
// the source of truth (the catalog is), so each process opens its own in-memory instance.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance } from './duckdb-api.ts';

export async function openDuck(opts: { threads?: number; memoryLimit?: string } = {}): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:', {
    ...(opts.threads ? { threads: String(opts.threads) } : {}),
    ...(opts.memoryLimit ? { memory_limit: opts.memoryLimit } : {}),
  });
  const conn = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  // lake files are immutable (a change is a new file), so their footers can be kept: views over
  // hundreds of partition files are re-bound without reading every footer again
  await conn.run(`LOAD parquet`);
  await conn.run(`SET GLOBAL parquet_metadata_cache = true`);
  return { instance, conn };
}

/**
 * DuckDB's thread count is one setting per instance, and runs sharing a process share its
 * instance (a scheduler's overlapping pipelines): each run holds the count it wants, the instance
 * runs with the largest held, and with its own default again once none is held. Returns the
 * release.
 */
export async function holdThreads(conn: DuckDBConnection, instance: object, threads: number): Promise<() => Promise<void>> {
  let h = threadHolds.get(instance);
  if (!h) {
    const d = Number((await conn.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]![0]);
    h = threadHolds.get(instance) ?? { initial: d, held: [] };
    threadHolds.set(instance, h);
  }
  const holds = h;
  const apply = async () => {
    const want = holds.held.length ? Math.max(...holds.held) : holds.initial;
    await conn.run(`SET GLOBAL threads = ${want}`);
  };
  holds.held.push(Math.max(1, Math.floor(threads)));
  await apply();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    holds.held.splice(holds.held.indexOf(Math.max(1, Math.floor(threads))), 1);
    await apply();
  };
}

const threadHolds = new WeakMap<object, { initial: number; held: number[] }>();

/** Quotes a string as a SQL literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** Quotes an identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** DuckDB's list literal of file paths, for read_parquet([...]). */
export function sqlList(paths: string[]): string {
  return `[${paths.map(sqlString).join(', ')}]`;
}

/**
 * Writes a query's rows to one ZSTD Parquet file at `abs` (its folder made if missing): the one
 * way a merge's data file, change feed, delete file and compacted file are written. Returns the
 * rows and bytes DuckDB reports (RETURN_STATS: no second pass); a failed write removes its
 * partial file.
 */
export async function copyToParquet(
  conn: DuckDBConnection, query: string, abs: string, opts: { rowGroupRows?: number } = {},
): Promise<{ rows: number; bytes: number }> {
  mkdirSync(dirname(abs), { recursive: true });
  const rowGroup = opts.rowGroupRows ? `, ROW_GROUP_SIZE ${Math.max(2048, Math.round(opts.rowGroupRows))}` : '';
  try {
    const r = (await conn.runAndReadAll(`COPY (${query}) TO ${sqlString(abs)} (FORMAT PARQUET, COMPRESSION ZSTD${rowGroup}, RETURN_STATS true)`))
      .getRowObjectsJS() as { count: bigint | number; file_size_bytes: bigint | number }[];
    return { rows: r.reduce((a, x) => a + Number(x.count), 0), bytes: r.reduce((a, x) => a + Number(x.file_size_bytes), 0) };
  } catch (e) {
    rmSync(abs, { force: true });
    throw e;
  }
}
