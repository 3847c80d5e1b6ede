// The group delta merge (src/warehouse/incremental/by-groups.ts): a model whose rows are a count
// and sums over one input's rows, where a row's contribution depends on the rows of its group
// before it (a lag window): after appends, late rows in the middle of a group, deletes, a key
// losing its last row and rows without a time, the merged rows equal the model over all rows.
// A changed dimension falls back to the scope merge, with the same rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { mergeRows } from '../../src/lake/merge.ts';
import { buildModelIncrementally } from '../../src/warehouse/incremental.ts';
import { loadModels, parseGroupDelta, parseModel, type SqlModel } from '../../src/warehouse/models.ts';
import { openWorkspace, type Workspace } from '../../src/warehouse/workspace.ts';
import { tmpHome } from '../helpers.ts';

test('group delta header: count, sums, groups and lookback; a bad header is an error', () => {
  assert.deepEqual(parseGroupDelta('a.sql', '-- group delta: count(n) sum(a, b) over(u, day) lookback(ts, INTERVAL 30 MINUTE)\nSELECT 1'),
    { count: 'n', sum: ['a', 'b'], over: ['u', 'day'], lookback: { column: 'ts', interval: 'INTERVAL 30 MINUTE' } });
  assert.deepEqual(parseGroupDelta('a.sql', '-- group delta: count(n), over(u)\nSELECT 1'), { count: 'n', sum: [], over: ['u'] });
  assert.equal(parseGroupDelta('a.sql', '-- delta: sum(n)\nSELECT 1'), undefined);
  assert.throws(() => parseGroupDelta('a.sql', '-- group delta: sum(a) over(u)\nSELECT 1'), /group delta:/);
  assert.throws(() => parseGroupDelta('a.sql', '-- group delta: count(n) sum(a) over(u) avg(b)\nSELECT 1'), /group delta:/);
  assert.throws(() => parseModel('a.sql', '-- table: curated.a\n-- group delta: count(n) over(u)\nSELECT 1'), /needs a "-- merge:" key/);
  assert.ok(loadModels().some((m) => m.groupDelta), 'a shipped model declares a group delta');
});

// transitions between consecutive items of a user's day within 30 minutes, as the shipped
// curated.music_genre_transitions_daily (the item's kind from a dimension)
const PAIRS = parseModel('g1.sql', `-- table: curated.gd_pairs
-- merge: day, prev_kind, kind
-- scope: day
-- partition: day
-- group delta: count(n) sum(big) over(user_id, day) lookback(ts, INTERVAL 30 MINUTE)
WITH seq AS (
  SELECT s.day, s.ts, s.amount, k.kind, lag(k.kind) OVER w AS prev_kind, lag(s.ts) OVER w AS prev_ts
  FROM curated.gd_src s JOIN curated.gd_kinds k USING (item)
  WINDOW w AS (PARTITION BY s.user_id, s.day ORDER BY s.ts, s.event_id)
)
SELECT day, prev_kind, kind, count(*) AS n, sum((amount > 5)::INT) AS big
FROM seq WHERE prev_kind IS NOT NULL AND ts - prev_ts <= INTERVAL 30 MINUTE GROUP BY ALL`);
// the same without a lookback: whole groups
const WHOLE = parseModel('g2.sql', PAIRS.sql.replace('curated.gd_pairs', 'curated.gd_whole').replace(' lookback(ts, INTERVAL 30 MINUTE)', ''));

const KEY = ['event_id'];
const ev = (id: string, u: string, item: string, ts: string | null, amount: number) =>
  `('${id}', '${u}', '${item}', ${ts === null ? 'NULL::TIMESTAMP' : `TIMESTAMP '2026-01-0${ts}'`}, ${amount})`;
const rows = (rs: string[]) => `SELECT event_id, user_id, item, ts, CAST(coalesce(ts, TIMESTAMP '2026-01-09') AS DATE) AS day, amount
  FROM (VALUES ${rs.join(', ')}) v(event_id, user_id, item, ts, amount)`;

async function contents(ws: Workspace, sql: string): Promise<string[]> {
  const plain = (_k: string, v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
  return (await ws.wh.query(sql)).map((r) => JSON.stringify(r, plain)).sort();
}

async function build(ws: Workspace, m: SqlModel, marks: Map<string, number>) {
  const r = await buildModelIncrementally(ws.wh, m, { watermarks: marks });
  assert.deepEqual(await contents(ws, `SELECT * FROM ${m.table}`), await contents(ws, m.sql), `${m.table} after: ${r.note}`);
  return r;
}

test('group delta merge: appends, late rows, deletes, a vanished key and NULL times equal the model over all rows', async (t) => {
  const { home, cleanup } = tmpHome('trib-groups-');
  t.after(cleanup);
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  t.after(() => ws.close());
  const src = 'curated.gd_src', kinds = 'curated.gd_kinds';
  const kindRows = `SELECT * FROM (VALUES ('a', 'rock'), ('b', 'jazz'), ('c', 'pop'), ('d', 'folk')) v(item, kind)`;
  await ws.lake.writeQuery(ws.wh.conn, kinds, kindRows, { mode: 'replace' });
  await ws.wh.refreshTable(kinds);
  await ws.lake.writeQuery(ws.wh.conn, src, rows([
    ev('e1', 'u1', 'a', '1 10:00:00', 3), ev('e2', 'u1', 'b', '1 10:10:00', 9), ev('e3', 'u1', 'a', '1 10:20:00', 1),
    ev('e4', 'u1', 'c', '1 11:30:00', 7), ev('e5', 'u1', 'a', '1 11:40:00', 2),
    ev('e6', 'u2', 'a', '1 10:05:00', 6), ev('e7', 'u2', 'b', '1 10:06:00', 6), ev('e8', 'u2', 'd', '2 09:00:00', 1),
    ev('e9', 'u2', 'b', '2 09:10:00', 8), ev('e10', 'u3', 'c', null, 2), ev('e11', 'u3', 'a', null, 3),
  ]), { mode: 'replace' });
  await ws.wh.refreshTable(src);
  const marks = new Map<string, number>();
  for (const m of [PAIRS, WHOLE]) {
    const r = await buildModelIncrementally(ws.wh, m, { watermarks: marks, full: true });
    for (const [tb, snap] of Object.entries(r.watermarks)) marks.set(tb, snap);
  }
  const next = async () => {
    await ws.wh.refreshTable(src);
    for (const m of [PAIRS, WHOLE]) {
      const r = await build(ws, m, marks);
      assert.match(r.note, /from the group delta of curated\.gd_src/);
    }
    marks.set(src, ws.wh.snapshots.get(src)!);
  };

  // appended rows: at the end of u1's day (after a gap of more than the lookback), a new user,
  // a late row between two of u2's
  await ws.lake.writeQuery(ws.wh.conn, src, rows([
    ev('n1', 'u1', 'b', '1 12:00:00', 8), ev('n2', 'u4', 'a', '1 08:00:00', 1), ev('n3', 'u4', 'd', '1 08:01:00', 9),
    ev('n4', 'u2', 'c', '1 10:05:30', 4),
  ]), { mode: 'append' });
  await next();

  // merged: a corrected row (its item changes its transitions), deletes (u2's day 2 loses both
  // rows: jazz after folk vanishes on that day), a late row at the start of u1's day, a row
  // without a time (it sorts last in its group)
  await mergeRows(ws.lake, ws.wh.conn, src, {
    key: KEY,
    deleted: `(${rows([ev('e2', 'u1', 'b', '1 10:10:00', 9), ev('e8', 'u2', 'd', '2 09:00:00', 1), ev('e9', 'u2', 'b', '2 09:10:00', 8)])})`,
    inserted: `(${rows([ev('e2', 'u1', 'd', '1 10:10:00', 9), ev('n5', 'u1', 'c', '1 09:55:00', 6), ev('n6', 'u3', 'b', null, 1)])})`,
  });
  await next();
  assert.deepEqual(await contents(ws, `SELECT prev_kind, kind FROM curated.gd_pairs WHERE day = DATE '2026-01-02'`), []);

  // a row deleted and inserted again in between nets out; a compaction-like rewrite of the whole
  // input (retired files) reads the same
  await ws.lake.writeQuery(ws.wh.conn, src, `SELECT * FROM ${src} WHERE event_id <> 'e5'`, { mode: 'replace' });
  await next();

  // a changed dimension: every group changes, the caller's merge (same rows)
  await ws.lake.writeQuery(ws.wh.conn, kinds, `SELECT item, CASE item WHEN 'c' THEN 'rock' ELSE kind END AS kind FROM ${kinds}`, { mode: 'replace' });
  await ws.wh.refreshTable(kinds);
  for (const m of [PAIRS, WHOLE]) assert.doesNotMatch((await build(ws, m, marks)).note, /group delta/);
});
