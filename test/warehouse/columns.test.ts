// Warehouse.columns reads a view's columns from DuckDB's catalog (no re-bind of the view over
// every file): the same names, in the same order, as DESCRIBE gives, for a lake table's view
// (again after it is re-pointed at a new snapshot) and for a session table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { landEvents } from '../fixtures/worlds.ts';

test('a view\'s columns come from the catalog, as DESCRIBE gives them', async (t) => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  t.after(async () => { await ws.close(); cleanup(); });
  const describe = async (table: string) => (await ws.wh.describe(`SELECT * FROM ${table}`)).map((c) => c.name);
  await landEvents(ws, [{ event_id: 'p1', type: 'play', ts: '2026-01-02T10:00:00Z', user_id: 'u', track_id: 't', ms_played: 10 }]);
  const before = await ws.wh.columns('raw.play');
  assert.deepEqual(before, await describe('raw.play'));
  assert.ok(before.includes('user_id') && before.includes('dt'), before.join(', '));
  await landEvents(ws, [{ event_id: 'p2', type: 'play', ts: '2026-01-03T10:00:00Z', user_id: 'u', track_id: 't', ms_played: 10, context: 'search' }]);
  const after = await ws.wh.columns('raw.play');
  assert.deepEqual(after, await describe('raw.play'));
  await ws.wh.sessionTable('features.cols_test', `SELECT 1 AS b, 'x' AS a, current_date AS c`);
  assert.deepEqual(await ws.wh.columns('features.cols_test'), ['b', 'a', 'c']);
});

test('columns of views over many files come from one read of the catalog, and follow every re-point', async (t) => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  t.after(async () => { await ws.close(); cleanup(); });
  const describe = async (table: string) => (await ws.wh.describe(`SELECT * FROM ${table}`)).map((c) => c.name);
  // views whose definitions are long enough (like a view over hundreds of files) for the catalog read
  const long = (cols: string) => `SELECT ${cols}, '${'x'.repeat(20_000)}' AS pad`;
  await ws.wh.sessionTable('features.wide_a', long('1 AS a1, 2 AS a2'), { view: true });
  await ws.wh.sessionTable('features.wide_b', long('1 AS b1'), { view: true });
  assert.deepEqual(await ws.wh.columns('features.wide_a'), ['a1', 'a2', 'pad']);
  assert.deepEqual(await ws.wh.columns('features.wide_b'), ['b1', 'pad']);
  // re-pointed (from a fork, as a build's step does): the new columns, not the cached ones
  const fork = await ws.wh.fork();
  t.after(() => fork.close());
  await fork.sessionTable('features.wide_a', long('3 AS a3'), { view: true });
  await ws.wh.sessionTable('features.wide_c', long('1 AS c1'), { view: true });
  assert.deepEqual(await ws.wh.columns('features.wide_a'), ['a3', 'pad']);
  assert.deepEqual(await fork.columns('features.wide_c'), ['c1', 'pad']);
  for (const tb of ['features.wide_a', 'features.wide_b', 'features.wide_c']) assert.deepEqual(await ws.wh.columns(tb), await describe(tb));
  // asked at once from the session and a fork (a build's first steps): one catalog read answers both
  await fork.sessionTable('features.wide_a', long('4 AS a4'), { view: true });
  await ws.wh.sessionTable('features.wide_b', long('5 AS b5'), { view: true });
  const [a, bb] = await Promise.all([fork.columns('features.wide_a'), ws.wh.columns('features.wide_b')]);
  assert.deepEqual([a, bb], [['a4', 'pad'], ['b5', 'pad']]);
});
