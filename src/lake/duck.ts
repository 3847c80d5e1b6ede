// DuckDB in process: the lake uses it to write Parquet, the warehouse to query. DuckDB is never
// the source of truth (the catalog is), so each process opens its own in-memory instance.
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
