// Loads a table into a Frame through DuckDB: a CSV/TSV file (gzip too), a Parquet file, or the
// result of any SQL query. Numeric, boolean and date/time columns become Float64Array (NULL ->
// NaN; dates as epoch seconds), everything else becomes a categorical string column (NULL -> null).
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance } from '../lake/duckdb-api.ts';
import { existsSync } from 'node:fs';
import { InvalidInputError } from '../ml/core/errors.ts';
import type { Column, Frame } from '../ml/core/frame.ts';

export type TableSource = string | { sql: string };

/** A loaded table and the names of its date / timestamp columns (as epoch seconds). */
export interface LoadedFrame extends Frame { readonly dates: string[] }

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BOOLEAN)$/i;
const TEMPORAL = /^(DATE|TIMESTAMP.*|TIMESTAMPTZ|TIME)$/i;

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The SQL relation that reads a file, chosen by its extension. */
export function fileRelation(path: string): string {
  if (!existsSync(path)) throw new InvalidInputError(`no such file: ${path}`);
  const lower = path.toLowerCase().replace(/\.(gz|gzip|zst)$/, '');
  if (lower.endsWith('.parquet') || lower.endsWith('.pq')) return `read_parquet(${q(path)})`;
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return `read_csv(${q(path)}, delim = '\t', header = true)`;
  if (lower.endsWith('.csv') || lower.endsWith('.txt')) return `read_csv_auto(${q(path)}, header = true)`;
  throw new InvalidInputError(`unsupported table file ${path}: expected .csv, .tsv or .parquet (optionally .gz)`);
}

/**
 * Reads a file or query into a Frame. `connection` lets a caller run the query in its own
 * DuckDB session (e.g. over the lake's views); otherwise an in-memory instance is used.
 */
export async function loadTable(source: TableSource, opts: { connection?: DuckDBConnection; columns?: string[]; limit?: number } = {}): Promise<LoadedFrame> {
  const relation = typeof source === 'string' ? fileRelation(source) : `(${source.sql.replace(/;\s*$/, '')})`;
  let conn = opts.connection;
  let instance: DuckDBInstance | null = null;
  if (!conn) { instance = await DuckDBInstance.create(':memory:'); conn = await instance.connect(); }
  try {
    const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation} AS src`)).getRowObjectsJS() as {
      column_name: string;
      column_type: string;
    }[];
    let cols = described;
    if (opts.columns) {
      const known = new Map(described.map((c) => [c.column_name, c]));
      cols = opts.columns.map((n) => {
        const c = known.get(n);
        if (!c) throw new InvalidInputError(`column "${n}" not found (columns: ${described.map((d) => d.column_name).join(', ')})`);
        return c;
      });
    }
    const select = cols.map((c) => {
      const id = ident(c.column_name);
      if (NUMERIC.test(c.column_type)) return `CAST(${id} AS DOUBLE) AS ${id}`;
      if (TEMPORAL.test(c.column_type)) return `CAST(epoch(${id}) AS DOUBLE) AS ${id}`;
      return `CAST(${id} AS VARCHAR) AS ${id}`;
    });
    const sql = `SELECT ${select.join(', ')} FROM ${relation} AS src${opts.limit ? ` LIMIT ${Math.floor(opts.limit)}` : ''}`;
    const result = await conn.runAndReadAll(sql);
    const data = result.getColumnsJS() as unknown[][];
    const columns = new Map<string, Column>();
    let length = 0;
    cols.forEach((c, j) => {
      const values = data[j] ?? [];
      length = values.length;
      if (NUMERIC.test(c.column_type) || TEMPORAL.test(c.column_type)) {
        columns.set(c.column_name, Float64Array.from(values, (v) => (v === null || v === undefined ? NaN : Number(v))));
      } else {
        columns.set(c.column_name, values.map((v) => (v === null || v === undefined ? null : String(v))));
      }
    });
    // DATE / TIMESTAMP columns are epoch seconds: the one encoding of time a model trains on
    return { length, columns, dates: cols.filter((c) => TEMPORAL.test(c.column_type) && !/^TIME$/i.test(c.column_type)).map((c) => c.column_name) };
  } finally {
    if (instance) { conn.closeSync?.(); instance.closeSync?.(); }
  }
}
