// A DuckDB session over the lake: every catalog table is a view `zone.name` over exactly the
// Parquet files of its current (or pinned) snapshot. Tables with a declared schema but no files
// yet are empty views with the right columns, so SQL models never fail on a missing source.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Lake } from '../lake/lake.ts';
import type { ColumnTypes } from '../lake/parquet.ts';
import { splitTableName } from '../lake/catalog.ts';
import { sqlIdent, sqlList } from '../lake/duck.ts';

export interface WarehouseOptions {
  lake: Lake;
  /** declared schemas of tables that must exist even when empty */
  schemas?: Record<string, ColumnTypes>;
  /** pin tables to snapshots: { 'raw.play': 3 } */
  pins?: Record<string, number>;
}

export const ZONES = ['raw', 'quarantine', 'curated', 'features', 'inference'] as const;

let sessions = 0;

export class Warehouse {
  private constructor(readonly lake: Lake, readonly conn: DuckDBConnection, private readonly catalogName: string, private readonly opts: WarehouseOptions) {}

  static async open(opts: WarehouseOptions): Promise<Warehouse> {
    const conn = await opts.lake.duckdb.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    // Views are catalog objects, shared by every connection of a DuckDB instance, but each session
    // has its own pins (a server refreshing online features at one snapshot, a pipeline building
    // models at another): each session gets a private in-memory catalog and resolves zone.table there.
    const catalogName = `wh_${process.pid}_${++sessions}`;
    await conn.run(`ATTACH ':memory:' AS ${catalogName}`);
    await conn.run(`USE ${catalogName}`);
    for (const z of ZONES) await conn.run(`CREATE SCHEMA IF NOT EXISTS ${z}`);
    const wh = new Warehouse(opts.lake, conn, catalogName, opts);
    await wh.refresh();
    return wh;
  }

  /** The snapshot each table was read at (for lineage). */
  readonly snapshots = new Map<string, number>();

  /** Re-points every view at its table's current (or pinned) snapshot. */
  async refresh(): Promise<void> {
    const tables = await this.lake.catalog.tables();
    const seen = new Set<string>();
    for (const t of tables) {
      const snapshot = this.opts.pins?.[t.table] ?? t.snapshot;
      const files = await this.lake.filePaths(t.table, snapshot);
      this.snapshots.set(t.table, snapshot);
      seen.add(t.table);
      if (files.length) await this.conn.run(`CREATE OR REPLACE VIEW ${viewName(t.table)} AS SELECT * FROM read_parquet(${sqlList(files)}, union_by_name = true)`);
      else await this.emptyView(t.table);
    }
    for (const table of Object.keys(this.opts.schemas ?? {})) if (!seen.has(table)) await this.emptyView(table);
    for (const [table, s] of Object.entries(this.opts.pins ?? {})) {
      if (!seen.has(table)) throw new Error(`cannot pin ${table}@${s}: no such lake table`);
    }
  }

  private async emptyView(table: string): Promise<void> {
    const cols = this.opts.schemas?.[table];
    const select = cols && Object.keys(cols).length
      ? Object.entries(cols).map(([c, t]) => `NULL::${t} AS ${sqlIdent(c)}`).join(', ')
      : 'NULL AS _empty';
    await this.conn.run(`CREATE OR REPLACE VIEW ${viewName(table)} AS SELECT ${select} WHERE false`);
  }

  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const r = await this.conn.runAndReadAll(sql);
    const rows = r.getRowObjectsJS() as Record<string, unknown>[];
    // BIGINT arrives as bigint; callers (JSON, arithmetic) want numbers, exact below 2^53
    for (const row of rows) {
      for (const k in row) {
        const v = row[k];
        if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)) row[k] = Number(v);
      }
    }
    return rows as T[];
  }

  /** Columns of a query's result, in order, with DuckDB types. */
  async describe(sql: string): Promise<{ name: string; type: string }[]> {
    const rows = await this.query<{ column_name: string; column_type: string }>(`DESCRIBE ${sql}`);
    return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
  }

  close(): void {
    this.conn.closeSync();
    // the private catalog holds only views; drop it from another connection, off the caller's path
    const name = this.catalogName;
    void this.lake.duckdb.connect()
      .then(async (c) => { try { await c.run(`DETACH DATABASE IF EXISTS ${name}`); } finally { c.closeSync(); } })
      .catch(() => { /* the instance is closing: nothing left to drop */ });
  }
}

export function viewName(table: string): string {
  const { zone, name } = splitTableName(table);
  return `${zone}.${sqlIdent(name)}`;
}
