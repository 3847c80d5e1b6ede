// File import: CSV, TSV, NDJSON and Parquet (gzip too) into a raw lake table, schema inferred by
// DuckDB, or through a ready mapping (the UCI Online Retail file into order_line). Rows that
// miss a required field go to quarantine with the reason; the rest are committed in one
// snapshot, partitioned by event date when the table has a `ts` column.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { sqlString } from '../lake/duck.ts';
import { QUARANTINE_TABLE } from '../events/lake-schema.ts';
import type { Warehouse } from './session.ts';

export type FileFormat = 'csv' | 'tsv' | 'ndjson' | 'parquet';

export interface IngestOptions {
  /** target table: "name" (raw zone) or "zone.name" */
  table: string;
  format?: FileFormat;
  mapping?: 'online-retail';
}

export interface IngestResult {
  table: string;
  rows: number;
  quarantined: number;
  snapshot: number;
  files: number;
  seconds: number;
  mapping?: string;
}

export function detectFormat(file: string): FileFormat {
  const f = file.toLowerCase().replace(/\.(gz|gzip|zst)$/, '');
  if (f.endsWith('.parquet')) return 'parquet';
  if (f.endsWith('.tsv') || f.endsWith('.tab')) return 'tsv';
  if (f.endsWith('.ndjson') || f.endsWith('.jsonl') || f.endsWith('.json')) return 'ndjson';
  if (f.endsWith('.csv') || f.endsWith('.txt')) return 'csv';
  throw new Error(`cannot tell the format of ${basename(file)} from its name: pass --format csv|tsv|ndjson|parquet`);
}

export function readerSql(file: string, format: FileFormat): string {
  const f = sqlString(file);
  switch (format) {
    case 'parquet': return `read_parquet(${f})`;
    case 'ndjson': return `read_json(${f}, format = 'newline_delimited')`;
    case 'tsv': return `read_csv(${f}, delim = '\t', header = true)`;
    case 'csv': return `read_csv(${f}, header = true)`;
  }
}

const ONLINE_RETAIL_COLUMNS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'];

/**
 * The Online Retail file as order_line events. InvoiceDate has no zone: it is read as UTC.
 * event_id is the file's row number, so importing the same file twice deduplicates downstream.
 */
function onlineRetailSql(file: string): string {
  const types = `{'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', 'Description': 'VARCHAR', 'Quantity': 'BIGINT', 'InvoiceDate': 'TIMESTAMP', 'UnitPrice': 'DOUBLE', 'CustomerID': 'DOUBLE', 'Country': 'VARCHAR'}`;
  return `SELECT 'online-retail:' || CAST(row_number() OVER () AS VARCHAR) AS event_id,
      CAST(InvoiceDate AS TIMESTAMPTZ) AS ts, 'order_line' AS type,
      InvoiceNo AS invoice_no, StockCode AS stock_code, Description AS description,
      Quantity AS quantity, UnitPrice AS unit_price,
      CAST(CAST(CustomerID AS BIGINT) AS VARCHAR) AS customer_id, Country AS country,
      CAST(NULL AS VARCHAR) AS category
    FROM read_csv(${sqlString(file)}, header = true, columns = ${types})`;
}

const REQUIRED: Record<string, string[]> = {
  'raw.order_line': ['event_id', 'ts', 'invoice_no', 'stock_code', 'quantity', 'unit_price'],
};

export function qualify(table: string): string {
  return table.includes('.') ? table : `raw.${table}`;
}

export async function ingestFile(wh: Warehouse, file: string, opts: IngestOptions): Promise<IngestResult> {
  const t0 = performance.now();
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const table = qualify(opts.table);
  const format = opts.format ?? detectFormat(file);
  let mapping = opts.mapping;
  if (!mapping && table === 'raw.order_line' && format === 'csv') {
    const cols = (await wh.describe(`SELECT * FROM ${readerSql(file, 'csv')}`)).map((c) => c.name);
    if (ONLINE_RETAIL_COLUMNS.every((c) => cols.includes(c))) mapping = 'online-retail';
  }
  const source = mapping === 'online-retail' ? onlineRetailSql(file) : `SELECT * FROM ${readerSql(file, format)}`;
  const staged = `ingest_${Date.now().toString(36)}`;
  await wh.conn.run(`CREATE OR REPLACE TEMP TABLE ${staged} AS ${source}`);
  try {
    const cols = (await wh.describe(`SELECT * FROM ${staged}`)).map((c) => c.name);
    const required = (REQUIRED[table] ?? []).filter((c) => cols.includes(c));
    const reason = required.length
      ? `CASE ${required.map((c) => `WHEN ${c} IS NULL THEN 'missing required field ${c}'`).join(' ')} END`
      : 'NULL';
    await wh.conn.run(`CREATE OR REPLACE TEMP TABLE ${staged}_r AS SELECT *, ${reason} AS _reason, row_number() OVER () AS _line FROM ${staged}`);
    const bad = Number((await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${staged}_r WHERE _reason IS NOT NULL`))[0]!.n);
    if (bad > 0) {
      await wh.lake.writeQuery(wh.conn, QUARANTINE_TABLE, `SELECT now() AS received_at, ${sqlString('file:' + basename(file))} AS source,
          _line - 1 AS batch_index, _line + 1 AS line, ${sqlString(table.split('.')[1]!)} AS event_type,
          ${cols.includes('event_id') ? 'CAST(event_id AS VARCHAR)' : 'NULL'} AS event_id,
          regexp_extract(_reason, 'field (.*)$', 1) AS field, _reason AS reason,
          to_json(${staged}_r)::VARCHAR AS payload
        FROM ${staged}_r WHERE _reason IS NOT NULL`, { mode: 'append', partitionBy: `strftime(received_at, '%Y-%m-%d')` });
    }
    const hasTs = cols.includes('ts');
    const r = await wh.lake.writeQuery(wh.conn, table, `SELECT * EXCLUDE (_reason, _line) FROM ${staged}_r WHERE _reason IS NULL`, {
      mode: 'append',
      partitionBy: hasTs ? `coalesce(strftime(ts, '%Y-%m-%d'), 'unknown')` : undefined,
      summary: { source: basename(file), mapping: mapping ?? null },
    });
    await wh.refresh();
    return { table, rows: r.rows, quarantined: bad, snapshot: r.snapshot, files: r.files, seconds: (performance.now() - t0) / 1000, ...(mapping ? { mapping } : {}) };
  } finally {
    await wh.conn.run(`DROP TABLE IF EXISTS ${staged}; DROP TABLE IF EXISTS ${staged}_r`);
  }
}
