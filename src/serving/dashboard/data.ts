// The dashboard's read side: one DuckDB session over the lake, shared by every /v1/dashboard
// route. Queries take their request values as bound parameters only (Warehouse.query's params),
// run one at a time on the session's connection, and their answers are cached until a lake
// table the dashboard reads gets a new snapshot (the catalog is checked at most once a second),
// so a dashboard reloaded by many people costs one query per chart per snapshot.
import type { DuckDBInstance, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';
import { openDuck } from '../../lake/duck.ts';
import type { Lake } from '../../lake/lake.ts';
import { safeNumbers, Warehouse } from '../../warehouse/session.ts';
import { sourceSchemas } from '../../warehouse/sources.ts';
import { PLAY_TRANSITIONS } from './music-queries.ts';
import { SALES_TABLES } from './sales-tables.ts';

/** The tables every filter change scans: kept in the dashboard session's memory. */
export const DASHBOARD_IN_MEMORY = [
  'curated.commerce_segments', 'curated.commerce_forecast', 'curated.plays', 'curated.tracks', 'curated.users', 'curated.music_shown_tracks',
];

/**
 * A table the session derives from lake tables (in memory, under `dash.`), made again at each new
 * snapshot of any of them: the aggregates the dashboard's queries read instead of the lines.
 * Built only once `from[0]` has rows; `sql` is told which of the others have rows (an optional
 * input such as the segments may not exist yet). Tables are made in the order listed, so one may
 * read another listed before it.
 */
export interface DerivedTable { table: `dash.${string}`; from: string[]; sql: (has: (table: string) => boolean) => string }

/** What the dashboard's server derives, in order. */
export const DASHBOARD_DERIVED: DerivedTable[] = [...SALES_TABLES, PLAY_TRANSITIONS];

export interface DashboardDataOptions {
  /** how often the catalog is checked for new snapshots (ms, default 1000) */
  refreshMs?: number;
  /** answers kept per snapshot signature (default 500) */
  cacheEntries?: number;
  /** lake tables the session copies into memory at each new snapshot (the ones filters scan) */
  inMemory?: string[];
  /** tables derived from lake tables at each new snapshot of them */
  derived?: DerivedTable[];
}

export class DashboardData {
  private wh?: Promise<Warehouse>;
  private tail: Promise<unknown> = Promise.resolve();
  private checkedAt = 0;
  private checking?: Promise<void>;
  private signature = '';
  /** rows of each lake table, at the signature's snapshots */
  private rows = new Map<string, number>();
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(private readonly lake: Lake, private readonly opts: DashboardDataOptions = {}) {}

  /**
   * Rows of `sql` with `params` bound by DuckDB (never spliced into the text). Each text is
   * prepared once per snapshot signature and run again with new values: the routes' texts vary
   * with which filters are set, not with their values, and parsing and planning were a third of
   * a small query's CPU.
   */
  async query<T = Record<string, unknown>>(sql: string, params?: Record<string, DuckDBValue>): Promise<T[]> {
    await this.fresh();
    const wh = await this.session();
    // one connection: queries queue rather than interleave
    const run = this.tail.then(async () => {
      let ps = this.prepared.get(sql);
      if (!ps) {
        ps = await wh.conn.prepare(sql);
        this.prepared.set(sql, ps);
        if (this.prepared.size > (this.opts.cacheEntries ?? 500)) this.forget(this.prepared.keys().next().value!);
      }
      ps.clearBindings();
      if (params) ps.bind(params);
      return safeNumbers((await ps.runAndReadAll()).getRowObjectsJS() as Record<string, unknown>[]) as T[];
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Prepared statements by their text (dropped when the tables they read are made again). */
  private readonly prepared = new Map<string, DuckDBPreparedStatement>();

  private forget(sql: string): void {
    this.prepared.get(sql)?.destroySync();
    this.prepared.delete(sql);
  }

  /**
   * An answer computed once per snapshot signature: `key` must name everything the answer
   * depends on (the route and its validated parameters).
   */
  async cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    await this.fresh();
    const k = `${this.signature}\u0000${key}`;
    let p = this.cache.get(k) as Promise<T> | undefined;
    if (!p) {
      p = compute();
      this.cache.set(k, p);
      p.catch(() => this.cache.delete(k));
      const max = this.opts.cacheEntries ?? 500;
      if (this.cache.size > max) this.cache.delete(this.cache.keys().next().value!);
    }
    return p;
  }

  /** Whether a lake table holds rows (an empty state says what to run otherwise). */
  async has(table: string): Promise<boolean> {
    await this.fresh();
    return (this.rows.get(table) ?? 0) > 0;
  }

  close(): void {
    void this.wh?.then((w) => { w.close(); this.duck?.closeSync(); }).catch(() => {});
  }

  private duck?: DuckDBInstance;

  /**
   * The session runs on its own DuckDB instance with one thread: its queries scan a few thousand
   * rows, and handing such a query to a second thread costs more than it saves, most of all on a
   * busy machine where that thread waits for a core (p99 under load: docs/decisions.md).
   */
  private session(): Promise<Warehouse> {
    this.wh ??= openDuck({ threads: 1 }).then(({ instance, conn }) => {
      conn.closeSync();
      this.duck = instance;
      return Warehouse.open({ lake: this.lake, schemas: sourceSchemas(), duckdb: instance });
    }).then(async (wh) => {
      await wh.query('CREATE SCHEMA IF NOT EXISTS dash');
      await wh.keepInMemory(this.opts.inMemory ?? []);
      return wh;
    });
    return this.wh;
  }

  /** Re-points the session's views when a table got a new snapshot; drops the cached answers. */
  private fresh(): Promise<void> {
    const now = Date.now();
    if (now - this.checkedAt < (this.opts.refreshMs ?? 1000)) return this.checking ?? Promise.resolve();
    this.checkedAt = now;
    this.checking = (async () => {
      const tables = await this.lake.catalog.tables();
      const signature = tables.map((t) => `${t.table}@${t.snapshot}`).join(',');
      if (signature === this.signature) return;
      const wh = await this.session();
      const rows = new Map(tables.map((t) => [t.table, t.rows]));
      const before = new Map(this.signature.split(',').map((x) => [x.slice(0, x.lastIndexOf('@')), x]));
      const refreshed = this.tail.then(async () => {
        for (const sql of [...this.prepared.keys()]) this.forget(sql);
        await wh.refresh();
        const has = (t: string) => (rows.get(t) ?? 0) > 0;
        const at = new Map(tables.map((t) => [t.table, `${t.table}@${t.snapshot}`]));
        for (const d of this.opts.derived ?? []) {
          if (!has(d.from[0]!) || d.from.every((t) => before.get(t) === at.get(t))) continue;
          await wh.query(`CREATE OR REPLACE TABLE ${d.table} AS ${d.sql(has)}`);
        }
      });
      this.tail = refreshed.catch(() => undefined);
      await refreshed;
      this.rows = rows;
      this.signature = signature;
      this.cache.clear();
    })();
    this.checking.catch(() => { this.checkedAt = 0; });
    return this.checking;
  }
}
