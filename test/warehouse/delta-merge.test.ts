// The delta (additive) merge of aggregate models (src/warehouse/incremental/by-delta.ts): after
// updates, deletes and inserts of its input's rows (merged, so read from the change feed), the
// model's rows equal its SQL run over the whole input: a key whose rows are all deleted is
// gone, a min or max whose row was deleted is recomputed from the key's history, shares derived
// from the sums follow. An input rewritten whole (no change feed) falls back to the scope merge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { mergeRows } from '../../src/lake/merge.ts';
import { buildModelIncrementally } from '../../src/warehouse/incremental.ts';
import { scopeMatch, splitCte } from '../../src/warehouse/incremental/by-delta.ts';
import { assertDeclaredColumns } from '../../src/warehouse/incremental/diff.ts';
import { loadModels, parseDelta, parseModel, type SqlModel } from '../../src/warehouse/models.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import type { Workspace } from '../../src/warehouse/workspace.ts';
import { tmpHome } from '../helpers.ts';

test('delta headers: sums, mins, maxes and the CTE; a bad header is an error', () => {
  assert.deepEqual(parseDelta('a.sql', '-- delta: sum(a, b), min(c), max(d, e)\nSELECT 1'),
    { sum: ['a', 'b'], min: ['c'], max: ['d', 'e'], facts: null, cte: null });
  assert.deepEqual(parseDelta('a.sql', '-- delta: sum(plays) in g\nSELECT 1'), { sum: ['plays'], min: [], max: [], facts: null, cte: 'g' });
  assert.deepEqual(parseDelta('a.sql', '-- delta: sum(n) facts(curated.x, raw.y) in g\nSELECT 1')?.facts, ['curated.x', 'raw.y']);
  assert.equal(parseDelta('a.sql', 'SELECT 1'), null);
  assert.throws(() => parseDelta('a.sql', '-- delta: avg(a)\nSELECT 1'), /delta:/);
  // every shipped model's header parses, and names a CTE the model has
  for (const m of loadModels()) {
    const spec = parseDelta(m.file, m.sql);
    if (spec?.cte) assert.ok(splitCte(m.sql, spec.cte).body.includes('GROUP BY'), m.file);
  }
});

test('splitCte: parentheses in comments and strings do not count', () => {
  const sql = "-- x (\nWITH g AS (\n  SELECT a, ')' AS b -- )\n  FROM t GROUP BY (a)\n), h AS (SELECT 1)\nSELECT * FROM g";
  const { body, around } = splitCte(sql, 'g');
  assert.equal(body, "\n  SELECT a, ')' AS b -- )\n  FROM t GROUP BY (a)\n");
  assert.equal(around('tmp'), '-- x (\nWITH g AS (SELECT * FROM tmp), h AS (SELECT 1)\nSELECT * FROM g');
});

const TOTALS = parseModel('t1.sql', `-- table: curated.delta_totals
-- merge: user_id, item
-- delta: sum(n, amount, rows), min(first_ts), max(last_ts)
SELECT user_id, item, sum(n) AS n, sum(amount) AS amount, count(*) AS rows, min(ts) AS first_ts, max(ts) AS last_ts
FROM curated.delta_src GROUP BY user_id, item`);
const SHARES = parseModel('t2.sql', `-- table: curated.delta_shares
-- merge: user_id, item
-- scope: user_id
-- delta: sum(n) in g
WITH g AS (SELECT user_id, item, sum(n) AS n FROM curated.delta_src GROUP BY ALL)
SELECT user_id, item, n, n / sum(n) OVER (PARTITION BY user_id) AS share FROM g`);

// two facts summed together (a UNION ALL): a change of one must not count the other's rows
const BOTH = parseModel('t3.sql', `-- table: curated.delta_both
-- merge: user_id
-- delta: sum(n, extra) facts(curated.delta_src, curated.delta_more)
SELECT user_id, sum(n) AS n, sum(extra) AS extra FROM (
  SELECT user_id, n, 0 AS extra FROM curated.delta_src UNION ALL SELECT user_id, 0, extra FROM curated.delta_more
) GROUP BY user_id`);

const row = (u: string, item: string, day: number, n: number, hour: number) =>
  `('${u}', '${item}', DATE '2026-01-0${day}', ${n}, ${n * 1.5}, TIMESTAMP '2026-01-0${day} ${String(hour).padStart(2, '0')}:00:00')`;
const rows = (rs: string[]) => `SELECT * FROM (VALUES ${rs.join(', ')}) v(user_id, item, day, n, amount, ts)`;

async function contents(ws: Workspace, sql: string): Promise<string[]> {
  const plain = (_k: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? Number(v.toPrecision(12)) : v);
  return (await ws.wh.query(sql)).map((r) => JSON.stringify(r, plain)).sort();
}

async function build(ws: Workspace, m: SqlModel, marks: Map<string, number>) {
  const r = await buildModelIncrementally(ws.wh, m, { watermarks: marks });
  assert.deepEqual(await contents(ws, `SELECT * FROM ${m.table}`), await contents(ws, m.sql), `${m.table} after: ${r.note}`);
  return r;
}

test('delta merge: updates, deletes, a vanished key and a lost min/max equal the model over all rows', async (t) => {
  const { home, cleanup } = tmpHome('trib-delta-');
  t.after(cleanup);
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  t.after(() => ws.close());
  const src = 'curated.delta_src';
  await ws.lake.writeQuery(ws.wh.conn, src, rows([
    row('u1', 'a', 1, 2, 10), row('u1', 'a', 2, 3, 11), row('u1', 'c', 1, 1, 5), row('u1', 'c', 2, 1, 6), row('u1', 'c', 3, 1, 23),
    row('u2', 'b', 1, 4, 9), row('u2', 'b', 2, 1, 9), row('u2', 'a', 1, 7, 8), row('u3', 'a', 3, 1, 1),
  ]), { mode: 'replace' });
  await ws.wh.refreshTable(src);
  const more = 'curated.delta_more';
  await ws.lake.writeQuery(ws.wh.conn, more, `SELECT * FROM (VALUES ('u1', 10), ('u9', 4)) v(user_id, extra)`, { mode: 'replace' });
  await ws.wh.refreshTable(more);
  const marks = new Map<string, number>();
  for (const m of [TOTALS, SHARES, BOTH]) {
    const r = await buildModelIncrementally(ws.wh, m, { watermarks: marks, full: true });
    for (const [t, snap] of Object.entries(r.watermarks)) marks.set(t, snap);
  }

  // a corrected row (u1 a day 1: n 2 -> 5), every row of u2 b deleted (the key vanishes), the rows
  // holding u1 c's first and last ts deleted (its min and max come from its history), a row
  // replaced by itself (nets out), new rows of a new key and an old one
  const key = ['user_id', 'item', 'day'];
  await mergeRows(ws.lake, ws.wh.conn, src, {
    key,
    deleted: `(${rows([
      row('u1', 'a', 1, 2, 10), row('u2', 'b', 1, 4, 9), row('u2', 'b', 2, 1, 9), row('u1', 'c', 1, 1, 5), row('u1', 'c', 3, 1, 23), row('u3', 'a', 3, 1, 1),
    ])})`,
    inserted: `(${rows([row('u1', 'a', 1, 5, 10), row('u3', 'a', 3, 1, 1), row('u4', 'd', 3, 2, 12), row('u2', 'a', 3, 1, 7)])})`,
  });
  await ws.wh.refreshTable(src);
  for (const m of [TOTALS, SHARES, BOTH]) {
    const r = await build(ws, m, marks);
    assert.match(r.note, /from the delta of curated\.delta_src/);
    // u1 c (its min and max rows deleted) and u2 b (only deleted: gone); u3 a's rows net out
    if (m === TOTALS) assert.match(r.note, /\(2 keys from their history\)/);
  }
  assert.deepEqual(await contents(ws, `SELECT item FROM curated.delta_totals WHERE user_id = 'u2'`), ['{"item":"a"}']);
  marks.set(src, ws.wh.snapshots.get(src)!);

  // only inserts, and a deleted row whose min is not the key's: no history read
  await mergeRows(ws.lake, ws.wh.conn, src, {
    key,
    deleted: `(${rows([row('u1', 'a', 2, 3, 11)])})`,
    inserted: `(${rows([row('u5', 'a', 3, 1, 2), row('u1', 'a', 3, 1, 3)])})`,
  });
  await ws.wh.refreshTable(src);
  for (const m of [TOTALS, SHARES]) {
    const r = await build(ws, m, marks);
    assert.doesNotMatch(r.note, /history/);
  }
  // the other fact changes too: both deltas at once
  await mergeRows(ws.lake, ws.wh.conn, more, {
    key: ['user_id'], deleted: `(SELECT 'u9' AS user_id, 4 AS extra)`, inserted: `(SELECT 'u1' AS user_id, 12 AS extra)`,
  });
  await ws.wh.refreshTable(more);
  assert.match((await build(ws, BOTH, marks)).note, /from the delta of curated\.delta_src, curated\.delta_more/);
  marks.set(src, ws.wh.snapshots.get(src)!);
  marks.set(more, ws.wh.snapshots.get(more)!);

  // the model now gives a column its stored rows lack: not a delta (the scope merge rebuilds it)
  const wider = parseModel('t1.sql', TOTALS.sql.replace('sum(n, amount, rows)', 'sum(n, amount, rows, n2)')
    .replace('sum(n) AS n,', 'sum(n) AS n, sum(2 * n) AS n2,'));
  await mergeRows(ws.lake, ws.wh.conn, src, {
    key, deleted: `(${rows([row('u5', 'a', 3, 1, 2)])})`, inserted: `(${rows([row('u5', 'a', 3, 2, 2)])})`,
  });
  await ws.wh.refreshTable(src);
  assert.match((await build(ws, wider, marks)).note, /rebuilt/);
  await build(ws, SHARES, marks);
  await buildModelIncrementally(ws.wh, TOTALS, { watermarks: marks, full: true });
  marks.set(src, ws.wh.snapshots.get(src)!);

  // the input rewritten whole (no change feed): the scope merge, same rows
  await ws.lake.writeQuery(ws.wh.conn, src, `SELECT * FROM ${src} WHERE user_id <> 'u4'`, { mode: 'replace' });
  await ws.wh.refreshTable(src);
  for (const m of [TOTALS, SHARES]) assert.doesNotMatch((await build(ws, m, marks)).note, /delta/);
});

test('scopeMatch: = where the touched values hold no NULL (a join filter prunes), IS NOT DISTINCT FROM where they do', () => {
  assert.equal(scopeMatch(['u', 'd'], { nul_0: false, nul_1: true }, 'x', 's'), 'x."u" = s."u" AND x."d" IS NOT DISTINCT FROM s."d"');
  // nothing touched (no row, so no NULL): = matches nothing either way
  assert.equal(scopeMatch(['u'], { nul_0: null }, 'x', 's'), 'x."u" = s."u"');
});

test('delta merge: NULL and quoted scope values (matched by = where no NULL was touched) equal the model over all rows', async (t) => {
  const { home, cleanup } = tmpHome('trib-delta-null-');
  t.after(cleanup);
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  t.after(() => ws.close());
  const src = 'curated.delta_src';
  const r = (u: string | null, item: string, day: number, n: number) =>
    `(${u === null ? 'NULL' : `'${u.replaceAll("'", "''")}'`}, '${item}', DATE '2026-01-0${day}', ${n}, ${n * 1.5}, TIMESTAMP '2026-01-0${day} 10:00:00')`;
  await ws.lake.writeQuery(ws.wh.conn, src, rows([r(null, 'a', 1, 1), r("o'k", 'a', 1, 2), r('u1', 'b', 1, 3), r('u9', 'c', 2, 4)]), { mode: 'replace' });
  await ws.wh.refreshTable(src);
  const marks = new Map<string, number>();
  for (const m of [TOTALS, SHARES]) {
    const b = await buildModelIncrementally(ws.wh, m, { watermarks: marks, full: true });
    for (const [tb, snap] of Object.entries(b.watermarks)) marks.set(tb, snap);
  }
  const key = ['user_id', 'item', 'day'];
  // a NULL user's row changes (user_id matched NOT DISTINCT), then only named users' rows do (=)
  const changes = [
    { deleted: [r(null, 'a', 1, 1)], inserted: [r(null, 'a', 1, 5), r("o'k", 'a', 3, 1)] },
    { deleted: [r("o'k", 'a', 1, 2)], inserted: [r("o'k", 'a', 1, 7), r('u1', 'b', 3, 1)] },
  ];
  for (const { deleted, inserted } of changes) {
    await mergeRows(ws.lake, ws.wh.conn, src, { key, deleted: `(${rows(deleted)})`, inserted: `(${rows(inserted)})` });
    await ws.wh.refreshTable(src);
    for (const m of [TOTALS, SHARES]) assert.match((await build(ws, m, marks)).note, /from the delta of/);
    marks.set(src, ws.wh.snapshots.get(src)!);
  }
  // two merges in one build's window: a new key's row inserted by the first and deleted by the
  // second nets out (one feed alone is not netted; two are), so the key is not stored
  const [gone, grown] = [r('u1', 'b', 1, 3), r('u1', 'b', 1, 4)];
  await mergeRows(ws.lake, ws.wh.conn, src, { key, deleted: `(${rows([gone])})`, inserted: `(${rows([r('u7', 'z', 2, 1), grown])})` });
  await ws.wh.refreshTable(src);
  await mergeRows(ws.lake, ws.wh.conn, src, { key, deleted: `(${rows([r('u7', 'z', 2, 1)])})`, inserted: `(${rows([r('u9', 'c', 3, 1)])})` });
  await ws.wh.refreshTable(src);
  for (const m of [TOTALS, SHARES]) assert.match((await build(ws, m, marks)).note, /from the delta of/);
  assert.deepEqual(await contents(ws, `SELECT * FROM curated.delta_totals WHERE user_id = 'u7'`), []);
});

test('an aggregate giving a column its header does not declare, or lacking one, is named in the error', () => {
  const cols = [{ name: 'user_id' }, { name: 'plays' }, { name: 'extra' }];
  assert.throws(() => assertDeclaredColumns('310_x.sql', 'delta', cols, ['user_id', 'plays']),
    /SQL model 310_x\.sql: its "-- delta:" aggregate gives columns not declared \(extra\)/);
  assert.throws(() => assertDeclaredColumns('330_y.sql', 'group delta', cols.slice(0, 2), ['user_id', 'plays', 'skips']),
    /SQL model 330_y\.sql: its "-- group delta:" aggregate gives no skips/);
  assertDeclaredColumns('310_x.sql', 'delta', cols.slice(0, 2), new Set(['plays', 'user_id']));
});
