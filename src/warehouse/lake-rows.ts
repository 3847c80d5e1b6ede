// Writes rows computed in TypeScript (forecasts, segment maps, projections) as a lake table
// snapshot: appended into a temporary DuckDB table through the appender (no SQL text per value),
// then materialised by lake.writeQuery like any SQL model, so it is versioned the same way.
import type { Warehouse } from './session.ts';

export type ColumnKind = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'BOOLEAN' | 'DATE';

export interface ColumnSpec { name: string; type: ColumnKind }

/** Values per column; numbers NaN and null are written as NULL; DATE as 'YYYY-MM-DD' text. */
export type ColumnValues = (string | number | boolean | null)[] | Float64Array | Int32Array;

let seq = 0;

export async function writeLakeTable(
  wh: Warehouse,
  table: string,
  columns: ColumnSpec[],
  values: Record<string, ColumnValues>,
  opts: { summary?: Record<string, unknown> } = {},
): Promise<{ snapshot: number; rows: number }> {
  if (!columns.length) throw new Error(`writeLakeTable ${table}: no columns`);
  const n = values[columns[0]!.name]?.length ?? 0;
  for (const c of columns) {
    const v = values[c.name];
    if (!v) throw new Error(`writeLakeTable ${table}: missing values for column ${c.name}`);
    if (v.length !== n) throw new Error(`writeLakeTable ${table}: column ${c.name} has ${v.length} values, expected ${n}`);
  }
  const tmp = `rows_${process.pid}_${++seq}`;
  // DATE columns go in as text and are cast in the SELECT (the appender's date type wants days)
  const decl = columns.map((c) => `"${c.name}" ${c.type === 'DATE' ? 'VARCHAR' : c.type}`).join(', ');
  await wh.conn.run(`CREATE OR REPLACE TEMP TABLE ${tmp} (${decl})`);
  try {
    const app = await wh.conn.createAppender(tmp);
    for (let i = 0; i < n; i++) {
      for (const c of columns) {
        const v = values[c.name]![i];
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) { app.appendNull(); continue; }
        switch (c.type) {
          case 'VARCHAR': case 'DATE': app.appendVarchar(String(v)); break;
          case 'DOUBLE': app.appendDouble(Number(v)); break;
          case 'BIGINT': app.appendBigInt(BigInt(Math.round(Number(v)))); break;
          case 'BOOLEAN': app.appendBoolean(Boolean(v)); break;
        }
      }
      app.endRow();
    }
    app.closeSync();
    const select = columns.map((c) => (c.type === 'DATE' ? `CAST("${c.name}" AS DATE) AS "${c.name}"` : `"${c.name}"`)).join(', ');
    const r = await wh.lake.writeQuery(wh.conn, table, `SELECT ${select} FROM ${tmp}`, { mode: 'replace', summary: opts.summary });
    await wh.refreshTable(table);
    return { snapshot: r.snapshot, rows: r.rows };
  } finally {
    await wh.conn.run(`DROP TABLE IF EXISTS ${tmp}`);
  }
}
