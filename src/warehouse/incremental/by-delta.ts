// The delta (additive) merge of an aggregate model, as incremental view maintenance does it
// (DBSP, Materialize, Enzyme): when a model's rows are sums of its input's rows grouped by its
// key, the new rows are the stored rows plus the aggregate of the inserted input rows minus the
// aggregate of the deleted ones. The cost follows the change, not the history of the keys it
// touches (a scope merge, by-scope.ts, re-reads every input row of every touched user).
//
// Header `-- delta: sum(a, b), min(c), max(d)` (optionally `in g`): the model (or its first CTE
// `g`) is a GROUP BY of the model's merge key whose other columns are sums (or counts: sums of
// 1) of non-NULL values, a min or a max, of one input's rows (the others only joined to them, as
// dimensions; a model summing several inputs, a UNION ALL, names them: `facts(zone.a, zone.b)`,
// else the one input that changed is taken for the fact and the others would be read whole as
// dimensions). Run over a few rows, the same SQL gives those rows' aggregate: the model is its
// own delta query, so the SQL file stays the one source of truth. With `in g`, the rest of the
// model derives its columns (shares, rates) from g, per `-- scope:` value: it runs over the g
// rows of the touched scope values, read back from the stored rows (which keep g's columns by
// name) and updated by the delta.
// A key whose deleted rows may have held its min or max, or that lost rows and gained none (it
// may be gone), is recomputed from its history. Anything else falls back to the scope merge:
// another input changed, or the input's change is not a set of appended files and merge change
// feeds (a rebuilt input would be read twice to diff it).
import { sqlIdent, sqlList } from '../../lake/duck.ts';
import { CHANGE_COLUMN, keyMatch } from '../../lake/merge.ts';
import type { SqlModel } from '../models.ts';
import { viewName, type Warehouse } from '../session.ts';
import { changedFiles } from './changes.ts';
import {
  assertDeclaredColumns, createTempColumns, diffStored, dropTemps, FILE_COLUMN, mergeDiff, ROW_COLUMN, staleStored, storedScan, tempId, withInputs,
  type IncrementalOutcome, type Layout,
} from './diff.ts';

/**
 * The model split around its CTE `name`: the CTE's SELECT, and the model with that SELECT
 * replaced by a read of a given relation. Comments and string literals are blanked before
 * matching, so a parenthesis in them does not count.
 */
export function splitCte(sql: string, name: string): { body: string; around: (relation: string) => string } {
  const blank = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'/g, (s) => ' '.repeat(s.length));
  const start = new RegExp(`\\bWITH\\s+${name}\\s+AS\\s*\\(`, 'i').exec(blank);
  if (!start) throw new Error(`no "WITH ${name} AS (" in the model`);
  const open = start.index + start[0].length - 1;
  let depth = 0, close = -1;
  for (let i = open; i < blank.length && close < 0; i++) {
    if (blank[i] === '(') depth++;
    else if (blank[i] === ')' && --depth === 0) close = i;
  }
  if (close < 0) throw new Error(`the CTE ${name} is not closed`);
  return { body: sql.slice(open + 1, close), around: (relation) => `${sql.slice(0, open + 1)}SELECT * FROM ${relation}${sql.slice(close)}` };
}

/**
 * The input's changed rows since `from` with their multiplicity (`_w`: +n inserted, -n deleted),
 * net of rows inserted and deleted again in between; null when the change is not made of appended
 * files and change feeds alone (a replace or a compaction of new rows: the scope merge reads it).
 * `unit`: each row counts once (`_w` is 1 or -1), not netted: the change is appended files alone
 * (nothing deleted), or one merge's change feed alone. Netting (a GROUP BY of every column, ~20
 * ms of a 60k-row feed at 16x) matters only for a row inserted by one change and deleted by a
 * later one, whose key may not have been stored: within one feed a deleted row was stored, so a
 * row on both sides leaves its key's sums, min and max as stored (the diff finds no change).
 */
async function signedChanges(
  wh: Warehouse, table: string, from: number, to: number, cols: string[],
): Promise<{ sql: string; files: number; rows: number; unit: boolean } | null> {
  const { added, removed, feeds } = await changedFiles(wh, table, from, to);
  if (removed.length) return null;
  const list = cols.map(sqlIdent).join(', ');
  const read = (paths: string[]) => `read_parquet(${sqlList(paths.map((p) => `${wh.lake.root}/${p}`))}, union_by_name = true)`;
  const parts: string[] = [];
  if (added.length) parts.push(`SELECT ${list}, 1 AS _w FROM ${read(added.map((f) => f.path))}`);
  if (feeds.length) parts.push(`SELECT ${list}, CASE ${CHANGE_COLUMN} WHEN 'insert' THEN 1 ELSE -1 END AS _w FROM ${read(feeds.map((f) => f.path))}`);
  const files = added.length + feeds.length, rows = [...added, ...feeds].reduce((a, f) => a + f.rows, 0);
  if (!parts.length) return { sql: `SELECT ${list}, 0 AS _w FROM ${viewName(table)} WHERE false`, files, rows, unit: true };
  if (!feeds.length || feeds.length === 1 && !added.length) return { sql: parts[0]!, files, rows, unit: true };
  return { sql: `SELECT ${list}, sum(_w)::BIGINT AS _w FROM (${parts.join(' UNION ALL ')}) GROUP BY ALL HAVING sum(_w) <> 0`, files, rows, unit: false };
}

/** The rows of one side of a signed change, each repeated as often as it counts. */
const side = (chg: string, cols: string[], sign: '>' | '<', unit: boolean) => unit
  ? `SELECT ${cols.map(sqlIdent).join(', ')} FROM ${chg} WHERE _w ${sign} 0`
  : `SELECT ${cols.map(sqlIdent).join(', ')} FROM (SELECT *, unnest(range(abs(_w))) AS _n FROM ${chg} WHERE _w ${sign} 0)`;

/** Whether each scope column's values in `rel` include a NULL: nul_N. */
const nullsQuery = (rel: string, cols: string[]) =>
  `SELECT ${cols.map((c, n) => `bool_or(${sqlIdent(c)} IS NULL) AS nul_${n}`).join(', ')} FROM ${rel}`;

/**
 * The match of stored rows (`x`) to the touched scope values (`s`): `=` on each column whose
 * touched values hold no NULL (a NULL stored value could not match them either way), else IS
 * NOT DISTINCT FROM. DuckDB derives a join filter (the build side's min and max, used to skip
 * Parquet row groups by their statistics, at no per-row cost) from `=` but not from IS NOT
 * DISTINCT FROM, so before, every stored row group was decoded. KPI invoices are written in
 * roughly invoice order, and the touched invoices are the newest: at 16x its stored read
 * 158 -> ~22 ms. (Explicit BETWEEN bounds pruned as well, but were evaluated on every row of a
 * table they do not prune, such as music_interactions.)
 */
export function scopeMatch(cols: string[], nulls: Record<string, unknown>, x: string, s: string): string {
  return cols.map((c, n) => nulls[`nul_${n}`] === true
    ? `${x}.${sqlIdent(c)} IS NOT DISTINCT FROM ${s}.${sqlIdent(c)}`
    : `${x}.${sqlIdent(c)} = ${s}.${sqlIdent(c)}`).join(' AND ');
}

type Changes = NonNullable<Awaited<ReturnType<typeof signedChanges>>>;
interface Fact { table: string; cols: string[]; changes: Changes | null; cte: string }

/**
 * Merges a model declared `-- delta:` by its additive change; null when the delta does not
 * apply (the caller then merges by scope). Each statement is one of a handful (the fixed cost of
 * a step is its statements, 1-3 ms each at the demo size): the aggregates of both sides, the
 * stored rows they touch, the new rows (and how many keys need their history), the diff.
 */
export async function mergeByDelta(
  wh: Warehouse, m: SqlModel, inc: NonNullable<SqlModel['incremental']>,
  opts: { watermarks: Map<string, number>; layout?: Layout }, marks: Record<string, number>, changed: string[],
): Promise<IncrementalOutcome | null> {
  const spec = m.delta;
  if (!spec) return null;
  const factTables = spec.facts ?? (changed.length === 1 ? changed : []);
  // a changed dimension changes rows of every key joined to it
  if (!factTables.length || changed.some((c) => !factTables.includes(c))) return null;
  const split = spec.cte ? splitCte(m.sql, spec.cte) : null;
  const agg = split ? split.body : m.sql;
  // a fact the aggregate does not read is a dimension of the rest of the model
  if (factTables.some((f) => withInputs(agg, new Map([[f, 'x']]), 'probe').split('probe_in0').length < 3)) return null;
  const id = tempId();
  const t = (s: string) => `${id}_${s}`;
  const facts: Fact[] = [];
  for (const [n, f] of factTables.entries()) {
    const cols = await wh.columns(f);
    const changes = changed.includes(f) ? await signedChanges(wh, f, opts.watermarks.get(f)!, marks[f]!, cols) : null;
    if (changed.includes(f) && !changes) return null;
    facts.push({ table: f, cols, changes, cte: t(`chg${n}`) });
  }
  const a = t('a'), old = t('old'), g = t('g'), fresh = t('new'), diffTable = t('diff');
  const key = inc.key, keyList = key.map(sqlIdent).join(', ');
  // without derived columns a key's row depends on that key's rows alone: the keys are the scope
  const scopeCols = split ? inc.scope : key, scopeList = scopeCols.map(sqlIdent).join(', ');
  try {
    // the aggregate of the inserted rows and of the deleted rows, one table (`_side` 'i' or 'd'):
    // the model's own SQL over them (an unchanged fact contributes no row)
    const rowsOf = (x: Fact, sign: '>' | '<') =>
      x.changes ? side(x.cte, x.cols, sign, x.changes.unit) : `SELECT ${x.cols.map(sqlIdent).join(', ')} FROM ${viewName(x.table)} WHERE false`;
    const sides = (sign: '>' | '<') => withInputs(agg, new Map(facts.map((x) => [x.table, rowsOf(x, sign)])), t(sign === '>' ? 'i' : 'd'));
    const signed = facts.filter((x) => x.changes).map((x) => `${x.cte} AS MATERIALIZED (${x.changes!.sql})`).join(', ');
    // with its columns and whether the touched scope values hold a NULL (for the stored side's read),
    // in the same round trip: one row per column, the NULL flags repeated on each
    const info = (await wh.conn.runAndReadAll(`CREATE TEMP TABLE ${a} AS WITH ${signed}
      SELECT 'i' AS _side, * FROM (${sides('>')}) UNION ALL SELECT 'd' AS _side, * FROM (${sides('<')});
      SELECT t.name, t.type, b.* FROM pragma_table_info('${a}') t, (${nullsQuery(a, scopeCols)}) b WHERE t.name <> '_side' ORDER BY t.cid`))
      .getRowObjectsJS();
    const nulls = info[0] ?? {};
    const gCols = info.map((c) => ({ name: String(c.name), type: String(c.type) }));
    assertDeclaredColumns(m.file, 'delta', gCols, [...key, ...spec.sum, ...spec.min, ...spec.max]);
    // the stored rows of the touched scope values, with their positions (what the merge deletes)
    const stored = await storedScan(wh, m.table);
    if (!stored) return null;
    const oldSql = `CREATE TEMP TABLE ${old} AS SELECT x.* FROM (${stored}) x
      SEMI JOIN (SELECT DISTINCT ${scopeList} FROM ${a}) s ON ${scopeMatch(scopeCols, nulls, 'x', 's')}`;
    // each touched key's new row: stored + inserted - deleted; a key is recomputed from its
    // history when it lost rows and gained none, or when a deleted row may have held its min or
    // max (and no inserted row reaches as far; a deleted value beyond the stored extreme's side
    // cannot have been it)
    const s = (c: string) => `s.${sqlIdent(c)}`, i = (c: string) => `i.${sqlIdent(c)}`, d = (c: string) => `d.${sqlIdent(c)}`;
    const lostExtreme = (c: string, beyond: '>' | '<') =>
      `(${d(c)} IS NOT NULL AND coalesce(NOT (${d(c)} ${beyond} ${s(c)}), true) AND coalesce(${i(c)} ${beyond} ${d(c)}, true))`;
    const lost = [...spec.min.map((c) => lostExtreme(c, '>')), ...spec.max.map((c) => lostExtreme(c, '<'))];
    const combined = gCols.map((c) => {
      const n = c.name;
      const v = spec.sum.includes(n) ? `coalesce(${s(n)}, 0) + coalesce(${i(n)}, 0) - coalesce(${d(n)}, 0)`
        : spec.min.includes(n) ? `least(${s(n)}, ${i(n)})` : spec.max.includes(n) ? `greatest(${s(n)}, ${i(n)})`
        : `k.${sqlIdent(n)}`;
      return `CAST(${v} AS ${c.type}) AS ${sqlIdent(n)}`;
    });
    const on = (x: string, y: string) => keyMatch(key, x, y);
    let keys: number, redo: number;
    try {
      // made in the round trip that makes the stored side (one statement fewer per step)
      const r = (await wh.conn.runAndReadAll(`${oldSql};
        CREATE TEMP TABLE ${g} AS
        WITH k AS (SELECT ${keyList}, bool_or(_side = 'i') AS _ins, bool_or(_side = 'd') AS _del FROM ${a} GROUP BY ALL)
        SELECT ${combined.join(', ')}, (k._del AND NOT k._ins)${lost.map((l) => ` OR ${l}`).join('')} AS _recompute
        FROM k LEFT JOIN ${old} s ON ${on('s', 'k')} LEFT JOIN (SELECT * FROM ${a} WHERE _side = 'i') i ON ${on('i', 'k')}
          LEFT JOIN (SELECT * FROM ${a} WHERE _side = 'd') d ON ${on('d', 'k')};
        SELECT count(*)::BIGINT AS keys, count(*) FILTER (WHERE _recompute)::BIGINT AS redo FROM ${g}`)).getRowObjectsJS()[0]!;
      keys = Number(r.keys); redo = Number(r.redo);
    } catch (e) {
      if (staleStored(e)) return null; // stored before the model kept g's columns
      throw e;
    }
    const gList = gCols.map((c) => sqlIdent(c.name)).join(', ');
    if (redo) {
      // from history: each fact restricted by the key columns it has (a key column from a
      // dimension is not), the result to the keys themselves; the keys' rows stay as markers
      const restrict = (x: Fact) => {
        const have = key.filter((c) => x.cols.includes(c));
        return have.length
          ? `SELECT x.* FROM ${viewName(x.table)} x
             SEMI JOIN (SELECT DISTINCT ${have.map(sqlIdent).join(', ')} FROM ${g} WHERE _recompute) r ON ${keyMatch(have, 'x', 'r')}`
          : `SELECT * FROM ${viewName(x.table)}`;
      };
      await wh.conn.run(`INSERT INTO ${g} SELECT h.*, false FROM (${withInputs(agg, new Map(facts.map((x) => [x.table, restrict(x)])), t('h'))}) h
        SEMI JOIN (SELECT * FROM ${g} WHERE _recompute) r ON ${on('h', 'r')}`);
    }
    const newRows = `(SELECT ${gList} FROM ${g} WHERE NOT _recompute)`;
    let freshRel = newRows, colList = gCols.map((c) => sqlIdent(c.name)), rows = keys;
    if (split) {
      // the rest of the model over g's rows of every touched scope value: the touched keys'
      // new rows, the others as stored
      const asStored = gCols.map((c) => `CAST(o.${sqlIdent(c.name)} AS ${c.type})`).join(', ');
      const made = await createTempColumns(wh, fresh, `SELECT x.* FROM (${split.around(`(${newRows} UNION ALL
        SELECT ${asStored} FROM ${old} o ANTI JOIN ${g} k ON ${on('o', 'k')})`)}) x
        SEMI JOIN (SELECT DISTINCT ${scopeList} FROM ${a}) s ON ${keyMatch(scopeCols, 'x', 's')}`);
      freshRel = fresh;
      rows = made.rows;
      colList = made.columns.map((c) => sqlIdent(c.name));
    }
    const diff = await diffStored(wh, freshRel, `SELECT ${colList.join(', ')}, ${FILE_COLUMN}, ${ROW_COLUMN} FROM ${old}`, diffTable, colList);
    if ('stale' in diff) return null;
    const r = await mergeDiff(wh, m, key, diff, opts.layout, { model: m.file, mode: 'delta', scope_values: keys });
    if (r.snapshot !== null) await wh.refreshTable(m.table);
    const rowsIn = facts.reduce((n, x) => n + (x.changes?.rows ?? 0), 0);
    return {
      mode: 'merge',
      note: `merged by ${key.join(', ')} from the delta of ${changed.join(', ')} (${rowsIn.toLocaleString('en-US')} rows read): ` +
        `${keys.toLocaleString('en-US')} keys touched, ${rows.toLocaleString('en-US')} rows recomputed` +
        `${redo ? ` (${redo} keys from their history)` : ''}, +${r.inserted} -${r.deleted} rows ` +
        `(${r.filesRemoved} files rewritten, ${r.deleteFiles} deleted on read)`,
      rowsOut: await wh.lake.catalog.rowCount(m.table),
      rowsIn, inserted: r.inserted, deleted: r.deleted, scopeValues: keys,
      filesRead: facts.reduce((n, x) => n + (x.changes?.files ?? 0), 0), partitionsRead: 0, watermarks: marks,
    };
  } finally {
    await dropTemps(wh, [a, old, g, fresh, diffTable]);
  }
}
