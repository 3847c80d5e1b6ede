// The metadata database (lake catalog, tracking, registry, job state): SQLite under
// TRIBUTARY_HOME by default, PostgreSQL when DATABASE_URL is set. One Kysely schema and one set
// of migrations serve both, so every query in the product is written once.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Migration, MigrationProvider } from 'kysely';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from './kysely.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

export type MetaDb = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface OpenOptions {
  home: string;
  databaseUrl?: string;
}

export interface MetaStore {
  db: MetaDb;
  dialect: Dialect;
  close(): Promise<void>;
}

/** The PostgreSQL client, loaded on first use: a SQLite store (every CLI run without DATABASE_URL) never needs it (~80 ms of start-up). */
async function loadPg(): Promise<typeof import('pg').default> {
  const pg = (await import('pg')).default;
  // int8 (bigint) columns hold row counts and byte sizes, far below 2^53: read them as numbers.
  pg.types.setTypeParser(20, (v) => Number(v));
  return pg;
}

const provider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  },
};

/**
 * Holds a cross-process lock while fn runs: several processes starting at once on a fresh home
 * (a server and CLIs, or replicas) would otherwise race to create the same tables. SQLite: a
 * write transaction on a small lock database beside metadata.db (others wait on it; the OS
 * releases it if the holder dies). PostgreSQL: a session advisory lock.
 */
async function withMigrationLock<T>(opts: OpenOptions, pool: import('pg').Pool | undefined, fn: () => Promise<T>): Promise<T> {
  if (pool) {
    const c = await pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock(7201301)');
      try { return await fn(); } finally { await c.query('SELECT pg_advisory_unlock(7201301)'); }
    } finally { c.release(); }
  }
  const lock = new SQLite(join(opts.home, 'metadata.lock'));
  try {
    lock.pragma('busy_timeout = 60000');
    lock.exec('BEGIN IMMEDIATE');
    try { return await fn(); } finally { lock.exec('COMMIT'); }
  } finally { lock.close(); }
}

/** Statements kept prepared per connection; the product's queries are a few hundred texts. */
const STATEMENT_CACHE = 512;

/**
 * The database as Kysely's SQLite driver sees it, with its prepared statements kept by SQL text.
 * The driver prepares every query anew, and compiling SQL was a third of SQLite's time in a
 * pipeline run (~150 catalog and tracking queries per build: 1-2 ms of CPU per step). A cached
 * statement is safe to reuse: the driver runs one query at a time on its one connection (a
 * mutex), and a statement being iterated (streamed) is not handed out until it is done.
 */
function withStatementCache(db: SQLite.Database): { close(): void; prepare(sql: string): SQLite.Statement } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => db.close(),
    prepare(text: string): SQLite.Statement {
      let stmt = cache.get(text);
      if (stmt && !stmt.busy) return stmt;
      stmt = db.prepare(text);
      // transaction control and DDL run once or rarely: not worth a slot
      if (stmt.reader || /^\s*(insert|update|delete|select|with)\b/i.test(text)) {
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/** Opens the metadata database and brings its schema up to date. */
export async function openMetaStore(opts: OpenOptions): Promise<MetaStore> {
  let db: MetaDb | undefined;
  let dialect: Dialect;
  let schema: string | undefined;
  let pool: import('pg').Pool | undefined;
  if (opts.databaseUrl) {
    // ?schema=NAME isolates a tenant (and each test) in its own PostgreSQL schema
    const url = new URL(opts.databaseUrl);
    schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    const pg = await loadPg();
    pool = new pg.Pool({
      connectionString: url.toString(),
      max: 10,
      options: schema ? `-c search_path=${schema}` : undefined,
    });
    dialect = 'postgres';
  } else {
    mkdirSync(opts.home, { recursive: true });
    dialect = 'sqlite';
  }
  const failure = await withMigrationLock(opts, pool, async () => {
    if (pool) {
      if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    } else {
      const file = new SQLite(join(opts.home, 'metadata.db'));
      // busy_timeout first: even switching to WAL waits for a lock. WAL lets readers in other
      // processes work while one writes; busy_timeout makes concurrent writers (two CLIs
      // promoting at once) wait for the lock instead of failing.
      file.pragma('busy_timeout = 10000');
      file.pragma('journal_mode = WAL');
      file.pragma('synchronous = NORMAL');
      file.pragma('foreign_keys = ON');
      db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(file) }) });
    }
    // migrations are numbered by issue, and issues land in any order: a database that already has
    // 005 still takes 004 when it arrives
    const migrator = new Migrator({ db, provider, migrationTableSchema: schema, allowUnorderedMigrations: true });
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return null;
    const failed = results?.find((r) => r.status === 'Error');
    return new Error(`metadata migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
  });
  const opened = db!;
  if (failure) {
    await opened.destroy(); // outside the lock: closing a pool waits for the lock's client
    throw failure;
  }
  return { db: opened, dialect, close: () => opened.destroy() };
}

/** Current time as an ISO string; timestamps are stored as text in both dialects. */
export function nowIso(): string {
  return new Date().toISOString();
}

export { sql };

/**
 * Runs fn in a write transaction that serialises against other processes. Every metadata write
 * of more than one statement goes through here. SQLite: BEGIN IMMEDIATE takes the write lock
 * before the first read, so busy_timeout makes a second writer wait for it. Kysely's own
 * transactions open DEFERRED: one that reads and then writes fails at once with "database is
 * locked" (SQLITE_BUSY, no busy wait) when another process wrote in between, or loses an update
 * in a read-modify-write. PostgreSQL: an ordinary transaction (use SELECT ... FOR UPDATE inside
 * fn for read-modify-write, as registry.ts's lockModel does).
 */
export async function writeTransaction<T>(store: MetaStore, fn: (trx: MetaDb) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') return store.db.transaction().execute((trx) => fn(trx as unknown as MetaDb));
  return store.db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    let out: T;
    try {
      out = await fn(conn);
    } catch (e) {
      // fn's error is the one to report, not a failed rollback's
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw e;
    }
    await sql`COMMIT`.execute(conn);
    return out;
  });
}
