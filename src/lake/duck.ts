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
 * Some DuckDB settings (threads, preserve_insertion_order) are global: one value per instance,
 * whichever connection sets it (a SET on one connection shows on every other). Users of one
 * instance (a scheduler's overlapping pipelines, a session making a table while other steps
 * query) each hold the value they want instead of setting and resetting it: the instance runs
 * with `pick` of the values held, and with the value it had before the first hold once none is
 * held. The SETs of one instance are made one at a time, each from the holds as they are then,
 * so a late SET never puts back a stale value. Returns the release (a second call does nothing).
 */
async function holdSetting<T extends number | boolean>(
  conn: DuckDBConnection, instance: object, name: string, value: T, pick: (held: T[]) => T,
): Promise<() => Promise<void>> {
  let holds = settingHolds.get(instance);
  if (!holds) settingHolds.set(instance, (holds = { queue: Promise.resolve(), settings: new Map() }));
  if (!holds.settings.has(name)) holds.settings.set(name, { initial: undefined, held: [] });
  const perInstance = holds;
  const mine = holds.settings.get(name) as SettingHolds<T>;
  const apply = (): Promise<void> => {
    const next = perInstance.queue.catch(() => {}).then(async () => {
      if (mine.initial === undefined) {
        const now = (await conn.runAndReadAll(`SELECT current_setting('${name}')`)).getRows()[0]![0];
        mine.initial = (typeof value === 'number' ? Number(now) : now === true || now === 'true') as T;
      }
      await conn.run(`SET GLOBAL ${name} = ${mine.held.length ? pick(mine.held) : mine.initial}`);
    });
    perInstance.queue = next;
    return next;
  };
  mine.held.push(value);
  await apply();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    mine.held.splice(mine.held.indexOf(value), 1);
    await apply();
  };
}

interface SettingHolds<T> { initial: T | undefined; held: T[] }

const settingHolds = new WeakMap<object, { queue: Promise<void>; settings: Map<string, SettingHolds<number | boolean>> }>();

/** Holds DuckDB's thread count (the instance runs with the largest held): see holdSetting. */
export function holdThreads(conn: DuckDBConnection, instance: object, threads: number): Promise<() => Promise<void>> {
  return holdSetting(conn, instance, 'threads', Math.max(1, Math.floor(threads)), (held) => Math.max(...held));
}

/**
 * Holds preserve_insertion_order off (see holdSetting): for writing rows that nothing reads in
 * their order (a session table); about a third less work for half a million rows.
 */
export function holdUnordered(conn: DuckDBConnection, instance: object): Promise<() => Promise<void>> {
  return holdSetting(conn, instance, 'preserve_insertion_order', false, () => false);
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
