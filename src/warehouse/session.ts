// A DuckDB session over the lake: every catalog table is a view `zone.name` over exactly the
// Parquet files of its current (or pinned) snapshot. Tables with a declared schema but no files
// yet are empty views with the right columns, so SQL models never fail on a missing source.
// Session tables are the exception: intermediate steps of SQL models that nothing outside the
// session reads live only in its memory (or as views over their inputs) and shadow the lake
// table of the same name, if there is one, until the session closes.
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import type { Lake } from '../lake/lake.ts';
import type { ColumnTypes } from '../lake/parquet.ts';
import { splitTableName } from '../lake/catalog.ts';
import { holdUnordered, sqlIdent, sqlString } from '../lake/duck.ts';

export interface WarehouseOptions {
  lake: Lake;
  /** declared schemas of tables that must exist even when empty */
  schemas?: Record<string, ColumnTypes>;
  /** pin tables to snapshots: { 'raw.play': 3 } */
  pins?: Record<string, number>;
  /** the DuckDB instance to connect on (default the lake's): one with its own settings, e.g. threads */
  duckdb?: DuckDBInstance;
}

export const ZONES = ['raw', 'quarantine', 'curated', 'features', 'inference'] as const;

/** The schema of the session's private catalog that holds its in-memory tables. */
const MEM = 'mem';

/**
 * Above this many characters of view definitions without cached columns (~120 file paths), one
 * read of the catalog's columns is cheaper than binding them (Warehouse.columns).
 */
const BULK_COLUMNS_CHARS = 16_000;

let sessions = 0;
/** names of session tables' in-memory copies: unique in the process, so forks never collide */
let memTables = 0;

export class Warehouse {
  private constructor(readonly lake: Lake, readonly conn: DuckDBConnection, private readonly catalogName: string, private readonly opts: WarehouseOptions) {}

  static async open(opts: WarehouseOptions): Promise<Warehouse> {
    const conn = await (opts.duckdb ?? opts.lake.duckdb).connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    // Views are catalog objects, shared by every connection of a DuckDB instance, but each session
    // has its own pins (a server refreshing online features at one snapshot, a pipeline building
    // models at another): each session gets a private in-memory catalog and resolves zone.table there.
    const catalogName = `wh_${process.pid}_${++sessions}`;
    await conn.run(`ATTACH ':memory:' AS ${catalogName}`);
    await conn.run(`USE ${catalogName}`);
    for (const z of [...ZONES, MEM]) await conn.run(`CREATE SCHEMA IF NOT EXISTS ${z}`);
    const wh = new Warehouse(opts.lake, conn, catalogName, opts);
    await wh.refresh();
    return wh;
  }

  /**
   * True for a fork (its connection closes once its work is done): its temp tables die with it,
   * so they need no DROP (a step dropped its temps in one more statement, 25 in a 1% build).
   */
  readonly ephemeral: boolean = false;

  /** The snapshot each table was read at (for lineage). */
  readonly snapshots = new Map<string, number>();

  /** Session tables: the in-memory table behind each (null: a view over its inputs). */
  private readonly sessionTables = new Map<string, string | null>();
  /** each view's current query: re-pointing a view at what it already reads is a no-op */
  private readonly views = new Map<string, string>();

  /** Re-points every view at its table's current (or pinned) snapshot. */
  async refresh(): Promise<void> {
    const tables = await this.lake.catalog.tables();
    const seen = new Set<string>();
    for (const t of tables) {
      seen.add(t.table);
      await this.point(t.table, this.opts.pins?.[t.table] ?? t.snapshot);
    }
    for (const table of Object.keys(this.opts.schemas ?? {})) if (!seen.has(table)) await this.emptyView(table);
    for (const [table, s] of Object.entries(this.opts.pins ?? {})) {
      if (!seen.has(table)) throw new Error(`no such table: ${table} (cannot pin it to snapshot ${s})`);
    }
  }

  /** Re-points one table's view (after a write to it, the others have not changed). */
  async refreshTable(table: string): Promise<void> {
    const current = await this.lake.catalog.currentSnapshot(table);
    const pin = this.opts.pins?.[table];
    if (current === 0) {
      if (pin !== undefined) throw new Error(`no such table: ${table} (cannot pin it to snapshot ${pin})`);
      if (this.opts.schemas?.[table]) await this.emptyView(table);
      return;
    }
    await this.point(table, pin ?? current);
  }

  private async point(table: string, snapshot: number): Promise<void> {
    if (this.sessionTables.has(table)) return;
    this.snapshots.set(table, snapshot);
    // the snapshot's files with its deletes applied (src/lake/deletes.ts); null: no files
    const read = await this.lake.readSql(table, snapshot);
    const kept = this.inMemory.get(table);
    if (read && kept !== undefined) {
      if (kept?.snapshot === snapshot) return;
      const mem = `${MEM}.t${++memTables}`;
      await this.conn.run(`CREATE TABLE ${mem} AS ${read}`);
      await this.setView(table, `SELECT * FROM ${mem}`);
      this.inMemory.set(table, { snapshot, mem });
      if (kept) await this.conn.run(`DROP TABLE IF EXISTS ${kept.mem}`);
      return;
    }
    if (read) await this.setView(table, read);
    else await this.emptyView(table);
  }

  /** Lake tables this session holds in memory: the snapshot it last copied of each. */
  private readonly inMemory = new Map<string, { snapshot: number; mem: string } | null>();

  /**
   * Keeps a copy of these lake tables in this session's memory, made again whenever refresh()
   * finds a new snapshot: for a long-lived session that queries the same tables over and over
   * (the dashboard's), scans of memory instead of decoding Parquet at every query.
   */
  async keepInMemory(tables: string[]): Promise<void> {
    for (const t of tables) if (!this.inMemory.has(t)) this.inMemory.set(t, null);
    await this.refresh();
  }

  private async emptyView(table: string): Promise<void> {
    if (this.sessionTables.has(table)) return;
    const cols = this.opts.schemas?.[table];
    const select = cols && Object.keys(cols).length
      ? Object.entries(cols).map(([c, t]) => `NULL::${t} AS ${sqlIdent(c)}`).join(', ')
      : 'NULL AS _empty';
    await this.setView(table, `SELECT ${select} WHERE false`);
  }

  private async setView(table: string, select: string): Promise<void> {
    if (this.views.get(table) === select) return;
    this.repointing.set(table, (this.repointing.get(table) ?? 0) + 1);
    try {
      await this.conn.run(`CREATE OR REPLACE VIEW ${viewName(table)} AS ${select}`);
      this.views.set(table, select);
    } finally {
      const n = this.repointing.get(table)! - 1;
      if (n) this.repointing.set(table, n);
      else this.repointing.delete(table);
    }
  }

  /** views being re-pointed now (by any connection of the session): how many re-points of each are in flight */
  private readonly repointing = new Map<string, number>();

  /**
   * Makes a query's rows `table` in this session only: an intermediate step of SQL models, never
   * written to the lake nor listed in `snapshots`, shadowing the lake's table of that name until
   * the session closes. A table holds the rows as they were when it was made; a view (`view`)
   * runs the query whenever it is read, over what its inputs are then (for a step read once).
   * Returns the rows of a table (null for a view: they are not computed here).
   */
  async sessionTable(table: string, sql: string, opts: { view?: boolean } = {}): Promise<{ rows: number | null }> {
    const before = this.sessionTables.get(table);
    let rows: number | null = null, mem: string | null = null;
    if (opts.view) await this.setView(table, sql);
    else {
      mem = `${MEM}.t${++memTables}`;
      // a session table is read by SQL models, never in the order of its rows: DuckDB may insert
      // them in any order (about a third less work for half a million rows). The setting is the
      // instance's, not this connection's: held, so other holders and the default survive it.
      const release = await holdUnordered(this.conn, this.opts.duckdb ?? this.lake.duckdb);
      try {
        const r = await this.conn.runAndReadAll(`CREATE TABLE ${mem} AS ${sql}`);
        rows = Number((r.getRows()[0]?.[0] as bigint | number | undefined) ?? 0);
      } finally {
        await release();
      }
      await this.setView(table, `SELECT * FROM ${mem}`);
    }
    this.sessionTables.set(table, mem);
    this.snapshots.delete(table);
    if (before) await this.conn.run(`DROP TABLE IF EXISTS ${before}`);
    return { rows };
  }

  /**
   * Runs fn with some views replaced: each given table's view becomes `wrap(its current query)`
   * (an incremental build reads its inputs restricted to the rows it recomputes); the views are
   * put back afterwards, whatever happens.
   */
  async withViews<T>(wraps: Record<string, (current: string) => string>, fn: () => Promise<T>): Promise<T> {
    const saved = new Map<string, string>();
    try {
      for (const [table, wrap] of Object.entries(wraps)) {
        const current = this.views.get(table);
        if (current === undefined) throw new Error(`withViews: ${table} has no view in this session`);
        saved.set(table, current);
        await this.setView(table, wrap(current));
      }
      return await fn();
    } finally {
      for (const [table, select] of saved) await this.setView(table, select);
    }
  }

  /**
   * Rows of a query. `params` are bound by DuckDB ($name in the SQL for an object, ? for a list),
   * never spliced into the text: values from a request go here.
   */
  async query<T = Record<string, unknown>>(sql: string, params?: Record<string, DuckDBValue> | DuckDBValue[]): Promise<T[]> {
    return safeNumbers((await this.conn.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[]) as T[];
  }

  private readonly columnCache = new Map<string, string[]>();
  /** the catalog read of every view's columns in flight, if any (an object: forks share it) */
  private readonly bulkRead: { running: Promise<Map<string, string[]>> | null } = { running: null };

  /**
   * A table's column names as this session reads it, cached per view definition (binding a view
   * over many Parquet files reads every file's footer: DESCRIBE of raw.order_line's ~700 files
   * took 25-40 ms at 1x, at every DESCRIBE). DuckDB binds a view when it is made and keeps its
   * columns in the catalog: when the views lacking a cached answer list many files, one read of
   * duckdb_columns() answers for every view of the session at once, with no bind (3-25 ms in a
   * 1% build); else a DESCRIBE (~1 ms for a view over a few files).
   */
  async columns(table: string): Promise<string[]> {
    const key = (t: string) => `${t}\n${this.views.get(t) ?? ''}`;
    const cached = this.columnCache.get(key(table));
    if (cached) return cached;
    // a bind reads a footer per file the view lists: the length of the uncached views' definitions
    // measures what the catalog read spares
    const unbound = [...this.views].reduce((n, [t, select]) => n + (this.columnCache.has(key(t)) ? 0 : select.length), 0);
    if (unbound > BULK_COLUMNS_CHARS && this.views.has(table)) {
      // one read at a time for the session and its forks (the first steps of a build ask at once)
      const found = await (this.bulkRead.running ??= this.viewColumns().finally(() => { this.bulkRead.running = null; }));
      const cols = found.get(table);
      if (cols && this.columnCache.get(key(table)) === cols) return cols;
    }
    const cols = (await this.describe(`SELECT * FROM ${viewName(table)}`)).map((c) => c.name);
    this.columnCache.set(key(table), cols);
    return cols;
  }

  /**
   * Every view's columns as bound in this session's catalog (database_name: other sessions'
   * catalogs hold views of the same names), cached under the definitions they were bound from.
   * A view re-pointed while the catalog was read (by another connection of the session) is left
   * out: which definition its answer came from is unknown.
   */
  private async viewColumns(): Promise<Map<string, string[]>> {
    const before = new Map(this.views), busy = new Set(this.repointing.keys());
    const rows = (await this.conn.runAndReadAll(`SELECT schema_name AS s, table_name AS t, column_name AS c FROM duckdb_columns()
      WHERE database_name = ${sqlString(this.catalogName)} AND schema_name IN (${ZONES.map(sqlString).join(', ')})
      ORDER BY s, t, column_index`)).getRowObjectsJS();
    const found = new Map<string, string[]>();
    for (const r of rows) {
      const t = `${String(r.s)}.${String(r.t)}`;
      let cols = found.get(t);
      if (!cols) found.set(t, (cols = []));
      cols.push(String(r.c));
    }
    for (const t of this.repointing.keys()) busy.add(t);
    for (const [t, cols] of found) {
      const select = before.get(t);
      if (select === undefined || busy.has(t) || this.views.get(t) !== select) found.delete(t);
      else this.columnCache.set(`${t}\n${select}`, cols);
    }
    return found;
  }

  /** A script of several statements (a file, stdin): each statement's rows, in order. */
  async queryScript(sql: string): Promise<Record<string, unknown>[][]> {
    const statements = await this.conn.extractStatements(sql);
    const out: Record<string, unknown>[][] = [];
    for (let i = 0; i < statements.count; i++) {
      const st = await statements.prepare(i);
      out.push(safeNumbers((await st.runAndReadAll()).getRowObjectsJS() as Record<string, unknown>[]));
    }
    return out;
  }


  /** Columns of a query's result, in order, with DuckDB types. */
  async describe(sql: string): Promise<{ name: string; type: string }[]> {
    const rows = await this.query<{ column_name: string; column_type: string }>(`DESCRIBE ${sql}`);
    return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
  }

  /**
   * Another connection to this session, for work that runs at the same time as other work on it
   * (a pipeline's concurrent steps): it reads the same views, at the same snapshots, and shares
   * the session's state (re-pointing a view from either is seen by both), but has its own temp
   * tables and statement queue. DuckDB runs each connection's statements on their own thread.
   * Its close() closes that connection only.
   */
  async fork(): Promise<Warehouse> {
    const conn = await (this.opts.duckdb ?? this.lake.duckdb).connect();
    try {
      // one round trip (a step's fork ran two: ~0.4 ms each, 54 statements in a 1% build)
      await conn.run(`SET TimeZone = 'UTC'; USE ${this.catalogName}`);
    } catch (e) {
      conn.closeSync();
      throw e;
    }
    // every field but the connection is the parent's own (its maps, by reference)
    const fork = Object.create(this) as Warehouse;
    Object.defineProperty(fork, 'conn', { value: conn });
    Object.defineProperty(fork, 'close', { value: () => conn.closeSync() });
    Object.defineProperty(fork, 'ephemeral', { value: true });
    return fork;
  }

  close(): void {
    this.conn.closeSync();
    // the private catalog holds the views and session tables; drop it from another connection,
    // off the caller's path
    const name = this.catalogName;
    void (this.opts.duckdb ?? this.lake.duckdb).connect()
      .then(async (c) => { try { await c.run(`DETACH DATABASE IF EXISTS ${name}`); } finally { c.closeSync(); } })
      .catch(() => { /* the instance is closing: nothing left to drop */ });
  }
}

/** BIGINT arrives as bigint; callers (JSON, arithmetic) want numbers, exact below 2^53. */
export function safeNumbers(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  for (const row of rows) {
    for (const k in row) {
      const v = row[k];
      if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)) row[k] = Number(v);
    }
  }
  return rows;
}

export function viewName(table: string): string {
  const { zone, name } = splitTableName(table);
  return `${zone}.${sqlIdent(name)}`;
}
