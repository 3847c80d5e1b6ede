// The group delta merge: a model whose rows are a count and sums over one input's rows, where a
// row's contribution depends on the other rows of its group (a window PARTITION BY the group
// columns: a play's previous genre within its user's day) but on no other group. A change of
// the input touches a few groups; each touched key's new row is its stored row, minus the model
// over the touched groups' rows as they were, plus the model over those rows as they are now.
// The rows as they were are read as the input was at the watermark (its files then, which the
// catalog keeps), so the model's own SQL runs twice over the touched groups, instead of once
// over every group of a day (a scope merge), and any change (appends, merges, rewrites) works.
// With `lookback(ts, INTERVAL ...)` (a row depends only on the rows of its group ordered before
// it, and on none further back than the interval), the groups are read only from the interval
// before their earliest changed row: rows before that contribute the same before and after,
// and cancel out. A key exists while its count is > 0 (a key losing its last row is gone).
// Header: models.ts SqlModel.groupDelta. Another input changing (a dimension: every group)
// falls back to the caller's merge.
import { sqlIdent, sqlList } from '../../lake/duck.ts';
import { keyMatch } from '../../lake/merge.ts';
import type { SqlModel } from '../models.ts';
import { viewName, type Warehouse } from '../session.ts';
import {
  assertDeclaredColumns, createTempColumns, diffStored, dropTemps, FILE_COLUMN, mergeDiff, ROW_COLUMN, staleStored, storedScan, tempId, withInputs,
  type IncrementalOutcome, type Layout,
} from './diff.ts';
import { changedFiles } from './changes.ts';

export async function mergeByGroups(
  wh: Warehouse, m: SqlModel, inc: NonNullable<SqlModel['incremental']>,
  opts: { watermarks: Map<string, number>; layout?: Layout }, marks: Record<string, number>, changed: string[],
): Promise<IncrementalOutcome | null> {
  const spec = m.groupDelta!;
  // one changed input, holding the group columns: the fact; a changed dimension changes every group
  if (changed.length !== 1) return null;
  const fact = changed[0]!;
  const cols = await wh.columns(fact);
  const lb = spec.lookback;
  if ([...spec.over, ...(lb ? [lb.column] : [])].some((c) => !cols.includes(c))) return null;
  const { added, removed, feeds } = await changedFiles(wh, fact, opts.watermarks.get(fact)!, marks[fact]!);
  const changedPaths = [...added, ...removed, ...feeds].map((f) => `${wh.lake.root}/${f.path}`);
  const rowsRead = [...added, ...removed, ...feeds].reduce((n, f) => n + f.rows, 0);
  const then = await wh.lake.readSql(fact, opts.watermarks.get(fact)!);
  if (!changedPaths.length || !then) return null;
  const id = tempId();
  const t = (s: string) => `${id}_${s}`;
  const groups = t('grp'), cur = t('cur'), a = t('a'), old = t('old'), fresh = t('new'), diffTable = t('diff');
  const list = cols.map(sqlIdent).join(', '), over = spec.over.map(sqlIdent).join(', ');
  const key = inc.key, keyList = key.map(sqlIdent).join(', ');
  try {
    // the touched groups: those of the rows in the files added, retired and the change feeds
    // since the watermark (a superset of the changed rows: more groups recompute to the same
    // rows), each from the lookback before its earliest such row ('-infinity': the whole group,
    // when one has none)
    const col = lb ? sqlIdent(lb.column) : '';
    const from = lb ? `CASE WHEN bool_and(${col} IS NOT NULL) THEN min(${col}) - ${lb.interval} ELSE '-infinity' END` : 'NULL';
    // the touched groups' rows, now and as they were at the watermark (the table then, read
    // from its files then: the catalog keeps them). A row without the lookback column stays in
    // (where it sorts, the change may reach it). One join, its range condition on the column
    // itself: DuckDB then skips the row groups before the earliest start (a UNION ALL of the
    // NULL cases read every row: 20x slower at 1x)
    const touched = (rows: string) => `SELECT x.* FROM (SELECT ${list} FROM (${rows})) x SEMI JOIN ${groups} g
      ON ${keyMatch(spec.over, 'x', 'g')}${lb ? ` AND coalesce(x.${col}, 'infinity') >= g._from` : ''}`;
    let nGroups: number, nRows: number;
    try {
      const r = (await wh.conn.runAndReadAll(`CREATE TEMP TABLE ${groups} AS SELECT ${over}, ${from} AS _from
          FROM read_parquet(${sqlList(changedPaths)}, union_by_name = true) GROUP BY ALL;
        CREATE TEMP TABLE ${cur} AS SELECT 'n' AS _side, * FROM (${touched(`SELECT * FROM ${viewName(fact)}`)})
          UNION ALL SELECT 'o' AS _side, * FROM (${touched(then)});
        SELECT (SELECT count(*) FROM ${groups})::BIGINT AS groups, (SELECT count(*) FROM ${cur})::BIGINT AS rows`)).getRowObjectsJS()[0]!;
      nGroups = Number(r.groups); nRows = Number(r.rows);
    } catch (e) {
      if (staleStored(e)) return null; // files written before the input had a column the model reads
      throw e;
    }
    // the model over each side
    const side = (s: 'n' | 'o') => withInputs(m.sql, new Map([[fact, `SELECT * EXCLUDE (_side) FROM ${cur} WHERE _side = '${s}'`]]), t(s));
    const gCols = (await createTempColumns(wh, a, `SELECT 'n' AS _side, * FROM (${side('n')}) UNION ALL SELECT 'o' AS _side, * FROM (${side('o')})`))
      .columns.filter((x) => x.name !== '_side');
    const named = new Set([...key, spec.count, ...spec.sum]);
    assertDeclaredColumns(m.file, 'group delta', gCols, named);
    // the stored rows of the touched keys, with their positions (what the merge deletes)
    const stored = await storedScan(wh, m.table);
    if (!stored) return null;
    const storedCols = [...gCols.map((x) => sqlIdent(x.name)), FILE_COLUMN, ROW_COLUMN].join(', ');
    const storedOfKeys = `CREATE TEMP TABLE ${old} AS SELECT ${storedCols} FROM (${stored}) x
      SEMI JOIN (SELECT DISTINCT ${keyList} FROM ${a}) k ON ${keyMatch(key, 'x', 'k')};`;
    // each touched key: stored - as it was + as it is, kept while its count is > 0
    const v = (n: string) => `coalesce(s.${n}, 0) - coalesce(o.${n}, 0) + coalesce(i.${n}, 0)`;
    const combined = gCols.map((x) => {
      const n = sqlIdent(x.name);
      return `CAST(${named.has(x.name) && !key.includes(x.name) ? v(n) : `k.${n}`} AS ${x.type}) AS ${n}`;
    });
    const on = (x: string) => keyMatch(key, x, 'k');
    // the stored rows of the touched keys and the new ones in one round trip (each statement is
    // ~1-3 ms of fixed cost); the count is of the new rows
    let made;
    try {
      made = await wh.conn.runAndReadAll(`${storedOfKeys} CREATE TEMP TABLE ${fresh} AS SELECT ${combined.join(', ')}
      FROM (SELECT DISTINCT ${keyList} FROM ${a}) k LEFT JOIN ${old} s ON ${on('s')}
        LEFT JOIN (SELECT * FROM ${a} WHERE _side = 'n') i ON ${on('i')} LEFT JOIN (SELECT * FROM ${a} WHERE _side = 'o') o ON ${on('o')}
      WHERE ${v(sqlIdent(spec.count))} > 0`);
    } catch (e) {
      if (staleStored(e)) return null; // stored before the model gave a column it gives now
      throw e;
    }
    const rows = Number((made.getRows()[0]?.[0] as bigint | number | undefined) ?? 0);
    const colList = gCols.map((x) => sqlIdent(x.name));
    const diff = await diffStored(wh, fresh, `SELECT * FROM ${old}`, diffTable, colList);
    if ('stale' in diff) return null;
    const merged = await mergeDiff(wh, m, key, diff, opts.layout, { model: m.file, mode: 'group-delta', scope_values: nGroups });
    if (merged.snapshot !== null) await wh.refreshTable(m.table);
    return {
      mode: 'merge',
      note: `merged by ${key.join(', ')} from the group delta of ${fact} (${rowsRead.toLocaleString('en-US')} rows changed): ` +
        `${nGroups.toLocaleString('en-US')} ${spec.over.join('+')} groups touched (${nRows.toLocaleString('en-US')} rows recomputed), ` +
        `${rows.toLocaleString('en-US')} keys, +${merged.inserted} -${merged.deleted} rows ` +
        `(${merged.filesRemoved} files rewritten, ${merged.deleteFiles} deleted on read)`,
      rowsOut: await wh.lake.catalog.rowCount(m.table),
      rowsIn: rowsRead, inserted: merged.inserted, deleted: merged.deleted, scopeValues: nGroups,
      filesRead: changedPaths.length, partitionsRead: 0, watermarks: marks,
    };
  } finally {
    await dropTemps(wh, [groups, cur, a, old, fresh, diffTable]);
  }
}
