// The incremental merge of a model scoped by some of its columns (the key by default): the
// scope values the changed input rows name are recomputed, over every input restricted to them.
import { sqlIdent, sqlList } from '../../lake/duck.ts';
import { keyMatch } from '../../lake/merge.ts';
import type { SqlModel } from '../models.ts';
import { viewName, type Warehouse } from '../session.ts';
import { changedFiles, changedRows } from './changes.ts';
import {
  createTemp, createTempColumns, diffStored, dropTemps, FILE_COLUMN,
  mergeDiff, ROW_COLUMN, storedScan, tempId, withInputs, type IncrementalOutcome, type Layout,
} from './diff.ts';
import { rebuild, recomputeAll } from './rebuild.ts';

/** Above this share of the stored scope values changed, a model rebuilds instead of merging. */
const REBUILD_SHARE = 0.5;

/**
 * Header `-- existence: raw.play, raw.skip`: inputs that decide only WHETHER a scope value has a
 * row, never what the row holds (a dimension's "every id seen in the events": its rows come from
 * the other inputs, or are the id alone). Rows appended to such an input can then only add rows,
 * for the scope values the table does not hold yet; the values it already holds are left out of
 * the recompute. (At 1x, curated.tracks recomputed 1,257 track_ids and curated.users 275
 * user_ids that the day's events named, each time reading whole event tables to find every row
 * unchanged.) A change that removed rows (a rewrite, a merge's feed) is scoped as usual: an id
 * may have lost its last row.
 */
export function parseExistence(m: Pick<SqlModel, 'file' | 'sql' | 'inputs'>): Set<string> {
  const line = /^--\s*existence:\s*(.*?)\s*$/m.exec(m.sql)?.[1];
  if (line === undefined) return new Set();
  const tables = line.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = tables.filter((t) => !m.inputs.includes(t));
  if (!tables.length || unknown.length) {
    const why = unknown.length ? ` (${unknown.join(', ')} not read)` : '';
    throw new Error(`SQL model ${m.file}: "-- existence:" names tables the model reads, got "${line}"${why}`);
  }
  return new Set(tables);
}

export async function mergeByScope(
  wh: Warehouse, m: SqlModel, inc: NonNullable<SqlModel['incremental']>, opts: { watermarks: Map<string, number>; layout?: Layout },
  marks: Record<string, number>, changed: string[],
): Promise<IncrementalOutcome> {
  const scopeCols = inc.scope;
  const id = tempId();
  const scopeParts: string[] = [];
  const inputCols = new Map<string, string[]>();
  const changedPartitions = new Map<string, Set<string>>();
  let filesRead = 0, partitionsRead = 0, rowsIn = 0;
  const existence = parseExistence(m);
  const list = scopeCols.map(sqlIdent).join(', ');
  // the scope values the table holds, for inputs that only decide existence (read once)
  let held: string | null | undefined;
  for (const i of m.inputs) {
    const cols = await wh.columns(i);
    inputCols.set(i, cols);
    if (!changed.includes(i)) continue;
    const from = opts.watermarks.get(i)!, to = marks[i]!;
    const lacking = scopeCols.filter((c) => !cols.includes(c));
    if (lacking.length) return recomputeAll(wh, m, opts.layout, marks, `${i} changed and has no ${lacking.join(', ')} to scope it`);
    const d = await changedRows(wh, i, from, to, cols);
    filesRead += d.files; partitionsRead += d.partitions; rowsIn += d.rows;
    changedPartitions.set(i, d.partitionNames);
    if (existence.has(i) && await appendedOnly(wh, i, from, to)) {
      if (held === undefined) held = await wh.lake.readSql(m.table, undefined, { hive: false });
      scopeParts.push(held
        ? `SELECT ${list} FROM (${d.sql}) x ANTI JOIN (SELECT DISTINCT ${list} FROM (${held})) h ON ${keyMatch(scopeCols, 'x', 'h')}`
        : `SELECT ${list} FROM (${d.sql})`);
    } else scopeParts.push(`SELECT ${list} FROM (${d.sql})`);
  }
  const scope = `${id}_scope`, fresh = `${id}_new`, diff = `${id}_diff`;
  try {
    const scopeValues = await createTemp(wh, scope, `SELECT DISTINCT * FROM (${scopeParts.join(' UNION ALL ')})`);
    if (!scopeValues) {
      // (only inputs that decide existence changed, and they named only values the table holds)
      return {
        mode: 'unchanged',
        note: `merged by ${inc.key.join(', ')}: no ${scopeCols.join('+')} value to recompute (${changed.join(', ')} named only values it holds)`,
        rowsOut: await wh.lake.catalog.rowCount(m.table),
        rowsIn, inserted: 0, deleted: 0, scopeValues: 0, filesRead, partitionsRead, watermarks: marks,
      };
    }
    // when the change touches most of the table, recomputing it all is cheaper than restricting
    // every input and diffing (and gives the same rows)
    // the stored rows (from the catalog, no scan) bound the stored scope values from above
    const storedRows = (await wh.lake.catalog.files(m.table)).reduce((a, f) => a + f.rows, 0);
    if (scopeValues > REBUILD_SHARE * storedRows) {
      return await recomputeAll(
        wh,
        m,
        opts.layout,
        marks,
        `${scopeValues.toLocaleString('en-US')} ${scopeCols.join('+')} values changed ` +
          `for ${storedRows.toLocaleString('en-US')} stored rows (a rebuild is cheaper)`,
      );
    }
    // every input restricted to the scope values, by the scope columns it has: the model's
    // references to it read a CTE instead (the session's views stay as they are: re-pointing a
    // view over hundreds of raw files costs a bind of all of them, twice per step)
    const restricted = new Map<string, string>();
    // partition-local: a scope value's rows sit in one partition of every input, so a value named
    // by one input's change is read in that partition of the others too (the union of changes)
    const localParts = new Set([...changedPartitions.values()].flatMap((ps) => [...ps]));
    for (const i of m.inputs) {
      const have = scopeCols.filter((c) => inputCols.get(i)!.includes(c));
      if (!have.length) continue;
      const list = have.map(sqlIdent).join(', ');
      let source = viewName(i);
      if (inc.partitionLocal && i.startsWith('raw.')) {
        // partition-local: the scope values' rows are in the partitions that changed, nowhere else
        const files = (await wh.lake.catalog.files(i, marks[i])).filter((f) => localParts.has(f.partition)).map((f) => `${wh.lake.root}/${f.path}`);
        const cols = inputCols.get(i)!.map(sqlIdent).join(', ');
        source = files.length
          ? `(SELECT ${cols} FROM read_parquet(${sqlList(files)}, union_by_name = true))`
          : `(SELECT ${cols} FROM ${viewName(i)} WHERE false)`;
      }
      restricted.set(i, `SELECT x.* FROM ${source} x SEMI JOIN (SELECT DISTINCT ${list} FROM ${scope}) s ON ${keyMatch(have, 'x', 's')}`);
    }
    const { rows, columns } = await createTempColumns(wh, fresh, withInputs(m.sql, restricted, id));
    const colList = columns.map((c) => sqlIdent(c.name));
    const cols = colList.join(', ');
    const stored = await storedScan(wh, m.table);
    // the stored rows of the scope, as stored (not through the view, whose dt= column is the folder's)
    const d = await diffStored(wh, fresh, `SELECT ${colList.map((c) => `x.${c}`).join(', ')}, x.${FILE_COLUMN}, x.${ROW_COLUMN}
      FROM (${stored ?? `SELECT ${cols}, NULL::VARCHAR AS ${FILE_COLUMN}, NULL::BIGINT AS ${ROW_COLUMN} FROM ${fresh} WHERE false`}) x
      SEMI JOIN ${scope} s ON ${keyMatch(scopeCols, 'x', 's')}`, diff, colList);
    if ('stale' in d) return await rebuild(wh, m, opts.layout, marks, d.stale);
    const r = await mergeDiff(wh, m, inc.key, d, opts.layout, { model: m.file, mode: 'merge', scope_values: scopeValues });
    if (r.snapshot !== null) await wh.refreshTable(m.table);
    return {
      mode: 'merge',
      note: `merged by ${inc.key.join(', ')}: ${scopeValues.toLocaleString('en-US')} ${scopeCols.join('+')} values ` +
        `recomputed (${rows.toLocaleString('en-US')} rows), +${r.inserted} -${r.deleted} rows ` +
        `(${r.filesRemoved} files rewritten, ${r.deleteFiles} deleted on read)`,
      rowsOut: await wh.lake.catalog.rowCount(m.table),
      rowsIn, inserted: r.inserted, deleted: r.deleted, scopeValues, filesRead, partitionsRead, watermarks: marks,
    };
  } finally {
    await dropTemps(wh, [scope, fresh, diff]);
  }
}


/** True when a table's change since `from` only appended rows: files added, none retired, no merge feed. */
async function appendedOnly(wh: Warehouse, table: string, from: number, to: number): Promise<boolean> {
  const { removed, feeds } = await changedFiles(wh, table, from, to);
  return !removed.length && !feeds.length;
}
