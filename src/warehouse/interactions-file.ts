// user,item,weight files for the recommenders' offline evaluation (`tributary recommend
// evaluate --train F --test F`), read by DuckDB's CSV reader like every other file import
// (quoted fields, embedded commas and newlines, CRLF, gzip). The header must name "user" and
// "item" (any order, any case); "weight" is optional (default 1). A bad line is an error naming
// the file, its line and the field.
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent, sqlString } from '../lake/duck.ts';
import type { Triples } from '../ml/recsys/interactions.ts';
import { InvalidInputError } from '../ml/core/errors.ts';

export async function readInteractionsFile(conn: DuckDBConnection, path: string): Promise<Triples & { weights: Float64Array }> {
  const name = basename(path);
  if (!existsSync(path)) throw new InvalidInputError(`cannot read ${name}: no such file`);
  const rejects = `interactions_rej_${process.pid}_${Date.now().toString(36)}`;
  // every column as text: ids stay ids (no "007" turned into 7), the weight is checked below
  const read = `read_csv(${sqlString(path)}, header = true, all_varchar = true, store_rejects = true, rejects_table ` +
    `= ${sqlString(rejects)}, rejects_scan = ${sqlString(`${rejects}_scan`)})`;
  try {
    const cols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${read}`)).getRowObjectsJS().map((r) => String(r.column_name));
    const find = (want: string) => cols.find((c) => c.trim().toLowerCase() === want);
    const u = find('user'), i = find('item'), w = find('weight');
    if (!u) throw new InvalidInputError(`${name}: header has no "user" column (found: ${cols.join(', ')})`);
    if (!i) throw new InvalidInputError(`${name}: header has no "item" column (found: ${cols.join(', ')})`);
    const rows = (await conn.runAndReadAll(`SELECT trim(${sqlIdent(u)}) AS u, trim(${sqlIdent(i)}) AS ` +
      `i, ${w ? `trim(${sqlIdent(w)})` : "'1'"} AS w FROM ${read}`)).getRowObjectsJS() as { u: string | null; i: string | null; w: string | null }[];
    const bad = (await conn.runAndReadAll(`SELECT line, error_message FROM ${rejects} ORDER BY line LIMIT 1`)).getRowObjectsJS()[0];
    if (bad) throw new InvalidInputError(`${name}: line ${Number(bad.line)}: ${String(bad.error_message)}`);
    const users: string[] = [], items: string[] = [], weights = new Float64Array(rows.length);
    // data rows are numbered from line 2 (after the header); a quoted newline makes a row span
    // two lines, so the number names the row's position, which is what the reader can find
    rows.forEach((r, k) => {
      const line = k + 2;
      if (!r.u) throw new InvalidInputError(`${name}: row at line ${line}: field "user" is empty`);
      if (!r.i) throw new InvalidInputError(`${name}: row at line ${line}: field "item" is empty`);
      const weight = Number(r.w ?? '');
      if (!r.w || !Number.isFinite(weight)) {
        throw new InvalidInputError(`${name}: row at line ${line}: field "weight" is ${JSON.stringify(r.w ?? '')}, not a number`);
      }
      users.push(r.u); items.push(r.i); weights[k] = weight;
    });
    return { users, items, weights };
  } finally {
    for (const t of [rejects, `${rejects}_scan`]) await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
  }
}
