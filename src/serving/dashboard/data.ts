// The dashboard's read side: one DuckDB session over the lake, shared by every /v1/dashboard
// route. Queries take their request values as bound parameters only (Warehouse.query's params),
// run one at a time on the session's connection, and their answers are cached until a lake
// table the dashboard reads gets a new snapshot (the catalog is checked at most once a second),
// so a dashboard reloaded by many people costs one query per chart per snapshot.
import type { DuckDBValue } from '@duckdb/node-api';
import type { Lake } from '../../lake/lake.ts';
import { Warehouse } from '../../warehouse/session.ts';
import { sourceSchemas } from '../../warehouse/sources.ts';

/** The tables every filter change scans: kept in the dashboard session's memory. */
export const DASHBOARD_IN_MEMORY = ['curated.commerce_segments', 'curated.plays', 'curated.tracks', 'curated.users', 'curated.music_shown_tracks'];

/** A table the session derives from a lake table at each new snapshot of it (in memory, under `dash.`). */
export interface DerivedTable { table: `dash.${string}`; from: string; sql: string }

/**
 * The sales lines rolled up to one row per invoice, customer, country and category (a fifth of
 * the lines on the Online Retail data): what the KPIs, maps, category and outlier charts scan.
 * Sums and distinct counts over it equal those over the lines.
 */
export const SALES_ROLLUP: DerivedTable = {
  table: 'dash.sales',
  from: 'curated.commerce_lines',
  sql: `SELECT invoice_no, customer_id, country, category, min(day) AS day, min(ts) AS ts,
               sum(revenue) AS revenue, count(*) AS lines, sum(quantity) AS units
        FROM curated.commerce_lines GROUP BY invoice_no, customer_id, country, category`,
};

/** The product lines of the sales (postage and fees left out), with what the filters need. */
export const PRODUCT_LINES: DerivedTable = {
  table: 'dash.product_lines',
  from: 'curated.commerce_lines',
  sql: `SELECT stock_code, customer_id, country, category, day, revenue, quantity FROM curated.commerce_lines WHERE is_product`,
};

/** One row per product: its most frequent description and category. */
export const PRODUCTS: DerivedTable = {
  table: 'dash.products',
  from: 'curated.commerce_lines',
  sql: `SELECT stock_code, mode(description) AS description, mode(category) AS category FROM curated.commerce_lines WHERE is_product GROUP BY 1`,
};

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

  /** Rows of `sql` with `params` bound by DuckDB (never spliced into the text). */
  async query<T = Record<string, unknown>>(sql: string, params?: Record<string, DuckDBValue>): Promise<T[]> {
    await this.fresh();
    const wh = await this.session();
    // one connection: queries queue rather than interleave
    const run = this.tail.then(() => wh.query<T>(sql, params));
    this.tail = run.catch(() => undefined);
    return run;
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
    void this.wh?.then((w) => w.close()).catch(() => {});
  }

  private session(): Promise<Warehouse> {
    this.wh ??= Warehouse.open({ lake: this.lake, schemas: sourceSchemas() }).then(async (wh) => {
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
        await wh.refresh();
        for (const d of this.opts.derived ?? []) {
          const now = tables.find((t) => t.table === d.from);
          if (!now || now.rows === 0 || before.get(d.from) === `${d.from}@${now.snapshot}`) continue;
          await wh.query(`CREATE OR REPLACE TABLE ${d.table} AS ${d.sql}`);
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
