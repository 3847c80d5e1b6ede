// The pieces every incremental merge shares: the outcome it reports, temp tables, the stored
// side of a diff (each stored row with its file and position), the diff by key, the merge of
// that diff into the lake table, and a model's SELECT with some inputs replaced by restricted ones.
import { mergeRows } from '../../lake/merge.ts';
import type { SqlModel } from '../models.ts';
import type { Warehouse } from '../session.ts';

/** what of a run's layout a write uses (src/pipeline/layout.ts chooses it) */
export interface Layout { row_group_rows?: number }

export interface IncrementalOutcome {
  mode: 'merge' | 'rebuild' | 'unchanged';
  note: string;
  rowsOut: number;
  rowsIn: number | null;
  inserted: number;
  deleted: number;
  scopeValues: number;
  filesRead?: number;
  partitionsRead?: number;
  /** the input snapshots this build consumed: the step's next watermarks */
  watermarks: Record<string, number>;
}

let seq = 0;

/** A fresh prefix for one step's temp tables (unique in the process). */
export const tempId = () => `inc_${process.pid}_${++seq}`;

/** The columns of a diff's stored side that name the file each row was read from, and its position there. */
export const FILE_COLUMN = '_source_file', ROW_COLUMN = '_source_row';

/** The stored rows of a model's table as readers see them, with each row's file and position. */
export async function storedScan(wh: Warehouse, table: string): Promise<string | null> {
  return wh.lake.readSql(table, undefined, { hive: false, fileColumn: FILE_COLUMN, rowColumn: ROW_COLUMN });
}

/** Why a read of the stored side failed when its files lack a column the model gives now, else null. */
export function staleStored(e: unknown): string | null {
  const msg = String((e as Error).message);
  return /^Binder Error: .*(does not have a column named|Referenced column .* not found)/m.test(msg)
    ? `its stored files lack a column it gives now (${msg.split('\n')[0]})`
    : null;
}

/** Makes a temp table of a query's rows; returns how many (CREATE TABLE AS reports it: no count(*) pass). */
export async function createTemp(wh: Warehouse, name: string, sql: string): Promise<number> {
  const r = await wh.conn.runAndReadAll(`CREATE TEMP TABLE ${name} AS ${sql}`);
  return Number((r.getRows()[0]?.[0] as bigint | number | undefined) ?? 0);
}

/**
 * createTemp, and the table's columns (name, DuckDB type) in the same round trip: a DESCRIBE or
 * a prepare after it was one more statement per step (~1 ms). The count is of the table made.
 */
export async function createTempColumns(wh: Warehouse, name: string, sql: string): Promise<{ rows: number; columns: { name: string; type: string }[] }> {
  const r = (await wh.conn.runAndReadAll(`CREATE TEMP TABLE ${name} AS ${sql};
    SELECT name, type, (SELECT count(*) FROM ${name})::BIGINT AS n FROM pragma_table_info('${name}') ORDER BY cid`)).getRowObjectsJS();
  return { rows: Number(r[0]?.n ?? 0), columns: r.map((c) => ({ name: String(c.name), type: String(c.type) })) };
}

/**
 * Checks that an aggregate merge's statement gives exactly the columns its header declares (the
 * key and the aggregated ones): anything else could not be combined with the stored rows.
 */
export function assertDeclaredColumns(file: string, header: string, columns: { name: string }[], declared: Iterable<string>): void {
  const named = new Set(declared);
  const odd = columns.filter((c) => !named.has(c.name)).map((c) => c.name);
  const absent = [...named].filter((n) => !columns.some((c) => c.name === n));
  if (!odd.length && !absent.length) return;
  const what = odd.length ? `columns not declared (${odd.join(', ')})` : `no ${absent.join(', ')}`;
  throw new Error(`SQL model ${file}: its "-- ${header}:" aggregate gives ${what}`);
}

/** Drops a step's temp tables, unless they die with its connection (a fork's: Warehouse.ephemeral). */
export async function dropTemps(wh: Warehouse, names: string[]): Promise<void> {
  if (wh.ephemeral) return;
  await wh.conn.run(names.map((t) => `DROP TABLE IF EXISTS ${t};`).join(' '));
}

/** A diff's counts from rows of (f: stored file, NULL for the fresh side; n: rows). */
function countSides(rows: Record<string, unknown>[]): { inserted: number; deleted: number; perFile: Map<string, number> } {
  const perFile = new Map<string, number>();
  let inserted = 0, deleted = 0;
  for (const r of rows) {
    const n = Number(r.n);
    if (r.f === null) inserted += n;
    else { perFile.set(String(r.f), n); deleted += n; }
  }
  return { inserted, deleted, perFile };
}

/** A diff in one table (diffStored): its fresh rows have no stored file, its stored rows name theirs. */
export interface Diff {
  table: string;
  /** the model's columns (quoted), in the fresh rows' order */
  cols: string[];
  inserted: number;
  deleted: number;
  /** deleted rows per stored file (as read: absolute path) */
  perFile: Map<string, number>;
}

/**
 * The difference between recomputed rows (`fresh`) and the stored rows they replace, for a model
 * with a merge key, in ONE statement and one table `diff`: the fresh rows no stored row equals
 * (their FILE_COLUMN NULL) and the stored rows no fresh row equals (with their file and position:
 * what the merge deletes). `stored` selects the stored rows of the recomputed scope with the
 * model's columns in `cols` order, then FILE_COLUMN and ROW_COLUMN; it is a materialized CTE both
 * anti joins read (three temp tables and a count of positions per file took four statements:
 * a 1% build's steps each ran them over a few hundred rows, at 1-3 ms a statement). The counts
 * per side and per file come back from a GROUP BY in the same round trip. Returns `{ stale }`
 * when the stored files lack a column the model now gives (a table first built from empty
 * inputs: an empty raw table's view has no dt= column): it must rebuild.
 */
export async function diffStored(wh: Warehouse, fresh: string, stored: string, diff: string, cols: string[]): Promise<Diff | { stale: string }> {
  const same = cols.map((c) => `f.${c} IS NOT DISTINCT FROM o.${c}`).join(' AND ');
  const sql = `CREATE TEMP TABLE ${diff} AS WITH o AS MATERIALIZED (${stored})
    SELECT f.*, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} f ANTI JOIN o ON ${same}
    UNION ALL
    SELECT o.* FROM o ANTI JOIN ${fresh} f ON ${same};
    SELECT ${FILE_COLUMN} AS f, count(*)::BIGINT AS n FROM ${diff} GROUP BY ALL`;
  let rows: Record<string, unknown>[];
  try {
    rows = (await wh.conn.runAndReadAll(sql)).getRowObjectsJS();
  } catch (e) {
    const stale = staleStored(e);
    if (stale) return { stale };
    throw e;
  }
  return { table: diff, cols, ...countSides(rows) };
}

/** Merges a diff (diffStored's table) into the model's table; the deleted rows' positions come with them. */
export function mergeDiff(wh: Warehouse, m: SqlModel, key: string[], d: Diff, layout: Layout | undefined, summary: Record<string, unknown>) {
  const cols = d.cols.join(', ');
  const inserted = `(SELECT ${cols} FROM ${d.table} WHERE ${FILE_COLUMN} IS NULL)`;
  const deleted = `(SELECT * FROM ${d.table} WHERE ${FILE_COLUMN} IS NOT NULL)`;
  return mergeRows(wh.lake, wh.conn, m.table, {
    key,
    deleted: `(SELECT ${cols} FROM ${deleted})`,
    inserted,
    positions: `(SELECT ${FILE_COLUMN} AS f, ${ROW_COLUMN} AS pos FROM ${deleted})`,
    positionCounts: d.perFile,
    counts: { inserted: d.inserted, deleted: d.deleted },
    rowGroupRows: layout?.row_group_rows,
    summary,
  });
}

/**
 * a comment or a string literal (left as they are: an apostrophe in a comment must not open a
 * "string" that hides the references after it), or a zone.table reference
 */
const ZONE_REF = /--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'|\b(raw|curated|features|inference|quarantine)\.([a-z_][a-z0-9_]*)\b/g;

/**
 * A model's SELECT with its references to some input tables replaced by CTEs of the given
 * queries (the model's own WITH, if any, stays inside: a subquery may have its own).
 */
export function withInputs(sql: string, inputs: Map<string, string>, id: string): string {
  if (!inputs.size) return sql;
  const names = new Map([...inputs.keys()].map((t, n) => [t, `${id}_in${n}`]));
  const body = sql.replace(ZONE_REF, (ref: string, zone?: string, name?: string) => (zone ? names.get(`${zone}.${name}`) ?? ref : ref));
  const ctes = [...inputs].map(([t, q]) => `${names.get(t)} AS (${q})`).join(',\n');
  // the closing parenthesis on its own line: the model may end with a comment
  return `WITH ${ctes}\nSELECT * FROM (\n${body}\n)`;
}
