// File import: CSV, TSV, NDJSON and Parquet (gzip too) into a raw lake table, or through a ready
// mapping (the UCI Online Retail file into order_line). A table with a declared schema (the event
// tables, the dimension files: src/warehouse/sources.ts) gets exactly its declared column types,
// whatever the file's values let DuckDB guess (a UUID-looking event_id stays text, timestamps
// written in several ISO forms become TIMESTAMPTZ), and declared columns the file lacks are added
// as typed NULLs, so imported files union with the collector's and the SQL models bind; other
// tables keep DuckDB's inferred schema. Rows that miss a required field or hold a value that is
// not of its column's type go to quarantine with the reason; the rest are committed in one
// snapshot, partitioned by the year of `ts` when the table has one. The file is read once, in
// parallel, into a temporary table whose row positions number its lines. A file whose values
// cannot fail to convert (the Online Retail mapping) is then written to the lake in one pass, its
// NULL counts checked from the written files' statistics.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { sqlIdent, sqlString } from '../lake/duck.ts';
import { QUARANTINE_TABLE } from '../events/lake-schema.ts';
import type { ColumnTypes } from '../lake/parquet.ts';
import type { Warehouse } from './session.ts';
import { sourceSchemas } from './sources.ts';

export type FileFormat = 'csv' | 'tsv' | 'ndjson' | 'parquet';

export interface IngestOptions {
  /** target table: "name" (raw zone) or "zone.name" */
  table: string;
  format?: FileFormat;
  mapping?: 'online-retail';
  /**
   * Let the file change the type of an existing column (Delta's mergeSchema). Without it a
   * column keeps its type: values that do not convert go to quarantine by line, and a column
   * none of whose values convert is an error naming the column and both types.
   */
  evolve?: boolean;
}

/** A file whose columns do not fit the table's types (without `evolve`). */
export class SchemaChangeError extends Error {
  override name = 'SchemaChangeError';
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

/**
 * The table function reading a file. `types` fixes the type of some columns (by name) instead
 * of letting DuckDB guess it from a sample; for NDJSON it must list every column to keep (keys
 * not listed are skipped).
 */
export function readerSql(file: string, format: FileFormat, types?: ColumnTypes, rejects?: string): string {
  const f = sqlString(file);
  const struct = types && Object.keys(types).length ? `{${Object.entries(types).map(([k, t]) => `${sqlString(k)}: ${sqlString(t)}`).join(', ')}}` : null;
  // store_rejects: a line with the wrong number of fields or a value that does not convert is
  // set aside in a rejects table (with its line number and DuckDB's reason) instead of failing
  // the read or, worse, making the sniffer take the whole file for one column
  const rej = rejects ? `, store_rejects = true, rejects_table = ${sqlString(rejects)}, rejects_scan = ${sqlString(`${rejects}_scan`)}` : '';
  switch (format) {
    case 'parquet': return `read_parquet(${f})`;
    case 'ndjson': return `read_json(${f}, format = 'newline_delimited'${struct ? `, columns = ${struct}` : ''})`;
    case 'tsv': return `read_csv(${f}, delim = '\t', header = true${struct ? `, types = ${struct}` : ''}${rej})`;
    case 'csv': return `read_csv(${f}, header = true${struct ? `, types = ${struct}` : ''}${rej})`;
  }
}

const ONLINE_RETAIL_COLUMNS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'];

/**
 * The first lines of a CSV file (gzip or plain) as text, read by Node from the first 64 KB: DuckDB
 * would sniff a large sample to tell the same things (~0.2 s on the Online Retail file, at each
 * DESCRIBE). null when the file is compressed otherwise or unreadable (the caller asks DuckDB).
 */
export function peekLines(file: string, max = 3): string[] | null {
  const fd = openSync(file, 'r');
  let buf: Buffer;
  try {
    buf = Buffer.alloc(1 << 16);
    buf = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try { buf = gunzipSync(buf, { finishFlush: zlibConstants.Z_SYNC_FLUSH }); } catch { return null; }
  } else if (/\.(zst|gz|gzip)$/i.test(file)) return null;
  const lines = buf.toString('utf8').split(/\r?\n/);
  lines.pop(); // the last one may be cut by the 64 KB window
  return lines.slice(0, max);
}

/** Column names of a CSV header line when it is plain (no quotes), else null. */
function plainHeader(line: string | undefined): string[] | null {
  return line && !line.includes('"') ? line.split(',').map((c) => c.trim()) : null;
}

/**
 * Whether the file is the Online Retail CSV as published (these columns in this order, ISO
 * timestamps), which DuckDB can then read with a fixed dialect instead of sniffing it: the rows
 * are the same (checked value for value on the 541,909-row file), ~0.2 s sooner per read.
 */
function onlineRetailPlain(lines: string[] | null): boolean {
  const head = plainHeader(lines?.[0]);
  const first = lines?.[1]?.split(',');
  return !!head && head.join(',') === ONLINE_RETAIL_COLUMNS.join(',') && !!first && first.length === ONLINE_RETAIL_COLUMNS.length &&
    /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/.test(first[4]!);
}

/**
 * The Online Retail file read with its columns' types. `plain`: the file is known to be the
 * published form (onlineRetailPlain): no dialect sniffing.
 */
function onlineRetailRead(file: string, plain = false): string {
  const dialect = plain ? `auto_detect = false, delim = ',', quote = '"', escape = '"', ` : '';
  const types = `{'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR', 'Description': 'VARCHAR', 'Quantity': 'BIGINT', ` +
    `'InvoiceDate': 'TIMESTAMP', 'UnitPrice': 'DOUBLE', 'CustomerID': 'DOUBLE', 'Country': 'VARCHAR'}`;
  return `SELECT * FROM read_csv(${sqlString(file)}, header = true, ${dialect}columns = ${types})`;
}

/**
 * The Online Retail rows (numbered: `_line`) as order_line events. InvoiceDate has no zone: it is
 * read as UTC. event_id is the file's row number, so importing the same file twice deduplicates
 * downstream; make_timestamptz(epoch_us) reads the zone-less time as UTC without a time-zone
 * conversion per row.
 */
function onlineRetailSql(numbered: string): string {
  return `SELECT 'online-retail:' || CAST(_line AS VARCHAR) AS event_id,
      make_timestamptz(epoch_us(InvoiceDate)) AS ts, 'order_line' AS type,
      InvoiceNo AS invoice_no, StockCode AS stock_code, Description AS description,
      Quantity AS quantity, UnitPrice AS unit_price,
      CAST(CAST(CustomerID AS BIGINT) AS VARCHAR) AS customer_id, Country AS country,
      CAST(NULL AS VARCHAR) AS category, _line
    FROM (${numbered})`;
}

const REQUIRED: Record<string, string[]> = {
  'raw.order_line': ['event_id', 'ts', 'invoice_no', 'stock_code', 'quantity', 'unit_price'],
};

export function qualify(table: string): string {
  return table.includes('.') ? table : `raw.${table}`;
}

/** DuckDB's spelling of a type as DESCRIBE prints it, for comparing declared with found types. */
function canonicalType(t: string): string {
  const u = t.trim().toUpperCase();
  const alias: Record<string, string> = {
    TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
    INT8: 'BIGINT',
    LONG: 'BIGINT',
    FLOAT8: 'DOUBLE',
    STRING: 'VARCHAR',
    TEXT: 'VARCHAR',
    BOOL: 'BOOLEAN',
    INT: 'INTEGER',
    INT4: 'INTEGER',
  };
  return alias[u] ?? u;
}

/** Declared types read as text from CSV/JSON, then cast by DuckDB (which knows every ISO form). */
const READ_AS_TEXT = new Set(['VARCHAR', 'TIMESTAMP WITH TIME ZONE', 'TIMESTAMP', 'DATE']);

/** How the file is read: with the mapping's column types, or with text where text is safest. */
async function readSql(
  wh: Warehouse,
  file: string,
  format: FileFormat,
  declared: ColumnTypes | undefined,
  mapping: string | undefined,
  head: string[] | null,
  existing: ColumnTypes | undefined,
  rejects: string | undefined,
): Promise<{ sql: string; guessed: ColumnTypes }> {
  if (mapping === 'online-retail') return { sql: onlineRetailRead(file, onlineRetailPlain(head)), guessed: {} };
  // the sniffer, too, needs store_rejects to see through a ragged line (its own tables)
  const found = await wh.describe(`SELECT * FROM ${readerSql(file, format, undefined, rejects && `${rejects}_sniff`)}`);
  const guessed = Object.fromEntries(found.map((c) => [c.name, c.type]));
  if (format === 'parquet') return { sql: `SELECT * FROM ${readerSql(file, format)}`, guessed };
  const types: ColumnTypes = {};
  for (const c of found) {
    const want = declared?.[c.name];
    // declared text and time columns are read as text, not as whatever a sample of values looks
    // like (a UUID, a timestamp in one of several forms), and cast afterwards with the reason
    // kept; a column the table already has is read as its type (a bad value is a rejected
    // line, not a new type for the column); every other column keeps the guess
    if (want && READ_AS_TEXT.has(canonicalType(want))) types[c.name] = 'VARCHAR';
    else if (!declared && existing?.[c.name] && (format === 'csv' || format === 'tsv')) types[c.name] = existing[c.name]!;
    else if (format === 'ndjson') types[c.name] = c.type;
  }
  return { sql: `SELECT * FROM ${readerSql(file, format, types, rejects)}`, guessed };
}

/**
 * The typed value of every column of a declared table: declared ones first, in declared order,
 * cast to their type (absent ones as typed NULLs, `type` of an event table as its event type),
 * then the file's other columns as they are; and the checks of values that did not convert.
 */
function typedColumns(
  table: string,
  found: { name: string; type: string }[],
  declared: ColumnTypes | undefined,
): { exprs: Map<string, string>; invalid: string[] } {
  const exprs = new Map<string, string>(), invalid: string[] = [];
  const have = new Map(found.map((c) => [c.name, c.type]));
  for (const [name, type] of Object.entries(declared ?? {})) {
    const id = `s.${sqlIdent(name)}`, got = have.get(name);
    if (got === undefined) {
      exprs.set(name, name === 'type' && table.startsWith('raw.') ? `CAST(${sqlString(table.slice(4))} AS ${type})` : `CAST(NULL AS ${type})`);
    } else if (canonicalType(got) === canonicalType(type)) {
      exprs.set(name, id);
    } else {
      exprs.set(name, `TRY_CAST(${id} AS ${type})`);
      invalid.push(`WHEN ${id} IS NOT NULL AND TRY_CAST(${id} AS ${type}) IS NULL THEN ${sqlString(`invalid field ${name}: not a ${type}`)}`);
    }
  }
  for (const c of found) if (!exprs.has(c.name)) exprs.set(c.name, `s.${sqlIdent(c.name)}`);
  return { exprs, invalid };
}

export async function ingestFile(wh: Warehouse, file: string, opts: IngestOptions): Promise<IngestResult> {
  const t0 = performance.now();
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const table = qualify(opts.table);
  const format = opts.format ?? detectFormat(file);
  const declared = sourceSchemas()[table];
  let mapping = opts.mapping;
  const head = format === 'csv' ? peekLines(file) : null;
  if (!mapping && table === 'raw.order_line' && format === 'csv') {
    // a plain header names the columns as DuckDB would (without its sniffing pass)
    const cols = plainHeader(head?.[0]) ?? (await wh.describe(`SELECT * FROM ${readerSql(file, 'csv')}`)).map((c) => c.name);
    if (ONLINE_RETAIL_COLUMNS.every((c) => cols.includes(c))) mapping = 'online-retail';
  }
  // an existing table without a declared schema keeps the types it has (unless --evolve)
  const existing = !declared && !opts.evolve && await wh.lake.catalog.tableExists(table)
    ? Object.fromEntries((await wh.describe(`SELECT * FROM ${table}`)).map((c) => [c.name, c.type])) : undefined;
  const rowsTable = tempTableName();
  const rejects = (format === 'csv' || format === 'tsv') && !mapping ? `${rowsTable}_rejects` : undefined;
  const { sql: read, guessed } = await readSql(wh, file, format, declared, mapping, head, existing, rejects);
  try {
    const numbered = await numberedRows(wh, rowsTable, file, read, format);
    // a CSV's first line is its header: its n-th row is on line n + 1
    const headerLines = format === 'csv' || format === 'tsv' ? 1 : 0;
    const rejected = rejects ? await quarantineRejects(wh, { file, table, rejects, rowsTable, headerLines, existing, guessed }) : 0;
    if (existing) checkTypes(table, existing, await wh.describe(format === 'parquet' ? read : `SELECT * FROM ${rowsTable}`), guessed);
    const r = await ingestRows(wh, {
      file,
      table,
      declared,
      mapping,
      source: mapping === 'online-retail' ? onlineRetailSql(numbered) : numbered,
      headerLines,
      t0,
    });
    return { ...r, quarantined: r.quarantined + rejected };
  } finally {
    await wh.conn.run(`DROP TABLE IF EXISTS ${rowsTable}`);
    if (rejects) for (const t of [rejects, `${rejects}_scan`, `${rejects}_sniff`, `${rejects}_sniff_scan`]) await wh.conn.run(`DROP ` +
      `TABLE IF EXISTS ${t}`).catch(() => {});
  }
}

/**
 * Lines DuckDB set aside (wrong number of fields, a value not of its column's type) go to
 * quarantine with their line number and reason. Without --evolve, a column none of whose values
 * fit the table's type is not bad lines but a different column: an error naming it and both types.
 */
async function quarantineRejects(
  wh: Warehouse,
  o: { file: string; table: string; rejects: string; rowsTable: string; headerLines: number; existing: ColumnTypes | undefined; guessed: ColumnTypes },
): Promise<number> {
  const lines = `SELECT line, arg_min(column_name, column_idx) AS field, string_agg(error_type || ': ' || ` +
    `error_message, '; ' ORDER BY column_idx) AS reason, first(csv_line) AS payload
    FROM ${o.rejects} GROUP BY line`;
  const n = Number((await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM (${lines})`))[0]!.n);
  if (n === 0) return 0;
  if (o.existing) {
    const kept = Number((await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${o.rowsTable}`))[0]!.n);
    const byColumn = await wh.query<{ column_name: string; n: number }>(`SELECT column_name, count(DISTINCT ` +
      `line)::BIGINT AS n FROM ${o.rejects} WHERE error_type = 'CAST' GROUP BY column_name`);
    for (const c of byColumn) {
      if (kept === 0 && Number(c.n) === n && o.existing[c.column_name]) {
        throw new SchemaChangeError(`column ${c.column_name} of ${o.table} is ${o.existing[c.column_name]}, but no ` +
          `value of ${basename(o.file)} is one (they read as ${o.guessed[c.column_name] ?? 'VARCHAR'}): pass --evolve to change the column's type`);
      }
    }
  }
  await wh.lake.writeQuery(wh.conn, QUARANTINE_TABLE, `SELECT now() AS received_at, ${sqlString('file:' + basename(o.file))} AS source,
      line - 1 - ${o.headerLines} AS batch_index, line, ${sqlString(o.table.split('.')[1]!)} AS event_type, CAST(NULL AS VARCHAR) AS event_id,
      field, reason, payload
    FROM (${lines})`, { mode: 'append', partitionBy: `strftime(received_at, '%Y-%m-%d')` });
  await wh.refreshTable(QUARANTINE_TABLE);
  return n;
}

/** Without --evolve, a column keeps its type: a file whose column has another type is refused, naming both. */
function checkTypes(table: string, existing: ColumnTypes, found: { name: string; type: string }[], guessed: ColumnTypes): void {
  for (const c of found) {
    const had = existing[c.name];
    if (had && canonicalType(had) !== canonicalType(c.type)) {
      throw new SchemaChangeError(`column ${c.name} of ${table} is ${had}, this file has ${guessed[c.name] ?? c.type}: ` +
        `pass --evolve to change the column's type`);
    }
  }
}

let staging = 0;
/** A temporary table's name no other import in this process (or another) uses. */
const tempTableName = () => `ingest_${Date.now().toString(36)}_${process.pid}_${++staging}`;

/**
 * The file's rows numbered in file order (`_line`, from 1), the number quarantine reports and
 * that a mapping may build ids from. row_number() OVER () would number them in one thread,
 * after a parallel read; instead the rows are copied into a temporary table first (a parallel
 * read that keeps the file's order) and numbered by their position in it. A Parquet file
 * numbers its own rows.
 */
async function numberedRows(wh: Warehouse, rowsTable: string, file: string, read: string, format: FileFormat): Promise<string> {
  if (format === 'parquet') {
    return `SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _line FROM read_parquet(${sqlString(file)}, file_row_number = true)`;
  }
  await wh.conn.run(`CREATE TEMP TABLE ${rowsTable} AS ${read}`);
  return `SELECT *, rowid + 1 AS _line FROM ${rowsTable}`;
}

async function ingestRows(
  wh: Warehouse,
  o: { file: string; table: string; declared: ColumnTypes | undefined; mapping: string | undefined; source: string; headerLines: number; t0: number },
): Promise<IngestResult> {
  const { file, table, declared, mapping, source, t0 } = o;
  const found = await wh.describe(source);
  const fields = found.filter((c) => c.name !== '_line');
  const { exprs, invalid } = typedColumns(table, fields, declared);
  const select = [...exprs].map(([name, e]) => `${e} AS ${sqlIdent(name)}`).join(', ');
  const tsType = declared?.ts ?? fields.find((c) => c.name === 'ts')?.type;
  const partitionBy = tsType === undefined ? undefined : yearKey(canonicalType(tsType));
  const summary = { source: basename(file), mapping: mapping ?? null };
  const required = (REQUIRED[table] ?? []).filter((c) => exprs.has(c));
  const done = (r: { rows: number; snapshot: number; files: number }, quarantined: number): IngestResult =>
    ({ table, rows: r.rows, quarantined, snapshot: r.snapshot, files: r.files, seconds: (performance.now() - t0) / 1000, ...(mapping ? { mapping } : {}) });

  if (!invalid.length) {
    // No value can fail to convert, so a row is bad only when a required field is missing, which
    // the written files' own statistics tell (their NULL counts): the file goes straight into
    // the lake in one pass, and only when a required column has a NULL is that write dropped
    // for the checked path below
    const r = await wh.lake.writeQuery(wh.conn, table, `SELECT ${select} FROM (${source}) s`, { mode: 'append', partitionBy, summary, noNulls: required });
    if (r) {
      await wh.refreshTable(table);
      return done(r, 0);
    }
  }

  // required fields are checked on the typed values (a value that did not convert is reported
  // as invalid first, rather than as missing)
  const whens = [...invalid, ...required.map((c) => `WHEN ${exprs.get(c)} IS NULL THEN ${sqlString(`missing required field ${c}`)}`)];
  const reason = whens.length ? `CASE ${whens.join(' ')} END` : 'CAST(NULL AS VARCHAR)';
  const staged = tempTableName();
  // one pass over the file: typed rows, their verdict and their line number
  await wh.conn.run(`CREATE OR REPLACE TEMP TABLE ${staged} AS
    SELECT ${select}, ${reason} AS _reason, s._line
    FROM (${source}) s`);
  try {
    const bad = Number((await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${staged} WHERE _reason IS NOT NULL`))[0]!.n);
    if (bad > 0) {
      await wh.lake.writeQuery(wh.conn, QUARANTINE_TABLE, `SELECT now() AS received_at, ${sqlString('file:' + basename(file))} AS source,
          _line - 1 AS batch_index, _line + ${o.headerLines} AS line, ${sqlString(table.split('.')[1]!)} AS event_type,
          ${exprs.has('event_id') ? 'CAST(event_id AS VARCHAR)' : 'NULL'} AS event_id,
          regexp_extract(_reason, 'field ([^:]*)', 1) AS field, _reason AS reason,
          to_json(${staged})::VARCHAR AS payload
        FROM ${staged} WHERE _reason IS NOT NULL`, { mode: 'append', partitionBy: `strftime(received_at, '%Y-%m-%d')` });
      await wh.refreshTable(QUARANTINE_TABLE);
    }
    const r = await wh.lake.writeQuery(
      wh.conn,
      table,
      `SELECT * EXCLUDE (_reason, _line) FROM ${staged} WHERE _reason IS NULL`,
      { mode: 'append', partitionBy, summary },
    );
    await wh.refreshTable(table);
    return done(r, bad);
  } finally {
    await wh.conn.run(`DROP TABLE IF EXISTS ${staged}`);
  }
}

/**
 * The partition key of a bulk file's row: the first day of its year ('unknown' without a time).
 * Partition values stay dates, as the lake's dt= keys are. A bulk file spans months: a partition
 * per day would make hundreds of small files that every scan has to open, and even one per month
 * (13 files of ~40,000 lines for Online Retail) costs DuckDB's partitioned writer a third more
 * than one file; within a year's file, row groups follow the file's time order, so their min/max
 * statistics still let a scan skip by `ts`. A TIMESTAMPTZ goes through its UTC wall time
 * (make_timestamp(epoch_us)): strftime on the zoned value converts time zones per row.
 */
function yearKey(tsType: string): string | undefined {
  const wall = tsType === 'TIMESTAMP WITH TIME ZONE' ? 'make_timestamp(epoch_us(ts))'
    : /^(TIMESTAMP|DATE)/.test(tsType) ? 'CAST(ts AS TIMESTAMP)' : null;
  return wall ? `coalesce(strftime(${wall}, '%Y-01-01'), 'unknown')` : undefined;
}
