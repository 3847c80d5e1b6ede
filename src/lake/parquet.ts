// Turns lines of JSON into one zstd Parquet file with DuckDB, with an explicit column list when
// the table has a declared schema (stable types across files), inferred otherwise.
import { writeFileSync, statSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from './duck.ts';

/** DuckDB column types by column name, e.g. { event_id: 'VARCHAR', ts: 'TIMESTAMPTZ' } */
export type ColumnTypes = Record<string, string>;

export async function writeJsonLinesAsParquet(
  conn: DuckDBConnection,
  lines: string[],
  out: string,
  tmp: string,
  columns?: ColumnTypes,
): Promise<{ rows: number; bytes: number }> {
  mkdirSync(dirname(out), { recursive: true });
  mkdirSync(dirname(tmp), { recursive: true });
  writeFileSync(tmp, lines.join('\n') + '\n');
  try {
    const cols = columns
      ? `, columns = {${Object.entries(columns).map(([k, t]) => `${sqlString(k)}: ${sqlString(t)}`).join(', ')}}`
      : '';
    await conn.run(`COPY (SELECT * FROM read_json(${sqlString(tmp)}, format = 'newline_delimited'${cols})) ` +
      `TO ${sqlString(out)} (FORMAT PARQUET, COMPRESSION ZSTD)`);
  } catch (e) {
    rmSync(out, { force: true }); // no half-written file left behind
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return { rows: lines.length, bytes: statSync(out).size };
}
