// Building an SQL model one day at a time. A model with the header `-- partition: col` promises
// that its rows of a day (its `col` equal to that date) come from its inputs' rows of the same
// day alone: an input's rows of a day are those whose `col` is that date or, lacking such a
// column, whose `ts` falls on it; inputs with neither (dimensions: tracks, users) are read
// whole. So each day is built by running the model's SELECT over its inputs restricted to that
// day, and written as the day's dt= partition of the target table, replacing what the partition
// held in one commit. Days are independent: any number of processes can build them at once
// (src/pipeline/jobs.ts queues them for `tributary worker`), and a day built twice ends as
// built once. The union of the days equals the model built whole.
import { sqlIdent, sqlString } from '../lake/duck.ts';
import type { SqlModel } from './models.ts';
import { viewName, type Warehouse } from './session.ts';

/** A calendar day written YYYY-MM-DD (2026-02-30 is not one). */
export function isDay(s: string): boolean {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(s) ? Date.parse(`${s}T00:00:00Z`) : NaN;
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(s);
}
let seq = 0;

/** The SQL giving an input row's day, or null when the input is read whole. */
export function dayOf(columns: string[], partition: string): string | null {
  if (columns.includes(partition)) return `CAST(${sqlIdent(partition)} AS DATE)`;
  if (columns.includes('ts')) return 'CAST(ts AS DATE)';
  return null;
}

/**
 * The dt= partitions of a raw table that can hold its rows of these days (YYYY-MM-DD), when
 * their day is taken from `dt` or `ts`: the collector files each day's own (an event's UTC day,
 * src/events/validate.ts partitionDate), a bulk import's the first day of the year
 * (src/warehouse/ingest.ts yearKey: a file of months is not split by day).
 */
export function partitionsHolding(days: string[]): Set<string> {
  return new Set(days.flatMap((d) => [`dt=${d}`, `dt=${d.slice(0, 4)}-01-01`]));
}

function partitionColumn(m: SqlModel): string {
  if (!m.partition) throw new Error(`SQL model ${m.file} (${m.table}) is not built by day: it has no "-- partition: column" header`);
  return m.partition;
}

/** The days a model's inputs hold (YYYY-MM-DD, ascending): one build per day. */
export async function modelDays(wh: Warehouse, m: SqlModel): Promise<string[]> {
  const col = partitionColumn(m);
  const parts: string[] = [];
  for (const input of m.inputs) {
    const day = dayOf(await wh.columns(input), col);
    if (day) parts.push(`SELECT DISTINCT ${day} AS d FROM ${viewName(input)}`);
  }
  if (!parts.length) throw new Error(`SQL model ${m.file}: none of its inputs (${m.inputs.join(', ')}) has a ${col} or ts column to split it by day`);
  const rows = await wh.query<{ d: string }>(`SELECT DISTINCT strftime(d, '%Y-%m-%d') AS d FROM (${parts.join(' UNION ALL ')}) WHERE d IS NOT NULL ORDER BY 1`);
  return rows.map((r) => r.d);
}

/**
 * Builds one day of a model into `target` (a table partitioned by day): the day's partition is
 * replaced, in one commit, by the rows the model gives over its inputs' rows of that day.
 */
export async function buildModelDay(
  wh: Warehouse, m: SqlModel, day: string, target: string, opts: { rowGroupRows?: number } = {},
): Promise<{ rows: number; files: number; snapshot: number }> {
  const col = partitionColumn(m);
  if (!isDay(day)) throw new Error(`day: expected a date YYYY-MM-DD, got "${day}"`);
  const wraps: Record<string, (current: string) => string> = {};
  // the day's inputs, and those of the days after it the model looks ahead to
  const ahead = m.lookahead ?? 0;
  const last = ahead ? `(DATE ${sqlString(day)} + ${ahead})` : `DATE ${sqlString(day)}`;
  for (const input of m.inputs) {
    const expr = dayOf(await wh.columns(input), col);
    const end = (m.lookaheadInputs ?? m.inputs).includes(input) ? last : `DATE ${sqlString(day)}`;
    if (expr) wraps[input] = (current) => `SELECT * FROM (${current}) WHERE ${expr} BETWEEN DATE ${sqlString(day)} AND ${end}`;
  }
  const tmp = `day_${process.pid}_${++seq}`;
  try {
    await wh.withViews(wraps, () => wh.conn.run(`CREATE TEMP TABLE ${tmp} AS ${m.sql}`));
    // a row of another day would be a broken promise of the header: refused, not misfiled
    const [outside] = await wh.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${tmp} WHERE ` +
      `CAST(${sqlIdent(col)} AS DATE) NOT BETWEEN DATE ${sqlString(day)} AND ${last} OR ${sqlIdent(col)} IS NULL`);
    if (Number(outside?.n ?? 0) > 0) {
      throw new Error(`SQL model ${m.file}: built over the inputs of ${day}, it gives ${outside!.n} rows of ` +
        `another ${col}; its "-- partition: ${col}" header does not hold`);
    }
    // rows of the days looked ahead to are those days' own builds' (over their own next days)
    const r = await wh.lake.writeQuery(wh.conn, target, `SELECT * FROM ${tmp} WHERE CAST(${sqlIdent(col)} AS DATE) = DATE ${sqlString(day)}`, {
      mode: 'replace-partitions', partitionBy: `strftime(CAST(${sqlIdent(col)} AS DATE), '%Y-%m-%d')`, partitions: [day],
      summary: { model: m.file, mode: 'day', day }, rowGroupRows: opts.rowGroupRows,
    });
    return { rows: r.rows, files: r.files, snapshot: r.snapshot };
  } finally {
    await wh.conn.run(`DROP TABLE IF EXISTS ${tmp}`);
  }
}
