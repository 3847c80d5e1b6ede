// The adaptive layout (src/pipeline/layout.ts): file and row-group sizes from the whole input,
// threads from what a run reads (an incremental run: what was committed since its watermarks),
// held on DuckDB while the run lasts and given back after (holdThreads, src/lake/duck.ts), as a
// session table holds preserve_insertion_order off (holdUnordered): global settings of an
// instance, held by each user instead of set and reset. Real DuckDB, Parquet and SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { openDuck, holdThreads, holdUnordered } from '../../src/lake/duck.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { buildPipeline } from '../../src/pipeline/build.ts';
import { chooseLayout } from '../../src/pipeline/layout.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { tmpHome } from '../helpers.ts';
import { landOlder, landEvents } from '../fixtures/worlds.ts';

const MB = 1 << 20;
const quiet = () => {};

test('layout: sizes from the whole input, threads from what the run reads', () => {
  const whole = { rows: 40_000_000, bytes: 2048 * MB };
  const full = chooseLayout(whole, 4);
  assert.equal(full.threads, 4);
  assert.equal(full.target_file_bytes, 128 * MB);
  assert.equal(full.read_rows, whole.rows);
  // an incremental run over 1%: the same file sizes (it merges into tables that big), one thread
  const inc = chooseLayout(whole, 4, { rows: 400_000, bytes: 5 * MB });
  assert.equal(inc.threads, 1);
  assert.equal(inc.target_file_bytes, full.target_file_bytes);
  assert.equal(inc.row_group_rows, full.row_group_rows);
  assert.deepEqual([inc.read_rows, inc.read_bytes], [400_000, 5 * MB]);
  assert.equal(chooseLayout(whole, 4, { rows: 4_000_000, bytes: 200 * MB }).threads, 4);
  assert.equal(chooseLayout({ rows: 1000, bytes: 64 << 10 }, 4).threads, 1);
});

test('holdThreads: the instance runs with the most any holder asks for, and its own default once none holds', async () => {
  const { instance, conn } = await openDuck({ threads: 2 });
  const threads = async () => Number((await conn.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]![0]);
  try {
    assert.equal(await threads(), 2);
    const one = await holdThreads(conn, instance, 1);
    assert.equal(await threads(), 1);
    const three = await holdThreads(conn, instance, 3);
    assert.equal(await threads(), 3, 'the larger hold wins');
    await three();
    assert.equal(await threads(), 1);
    await three(); // a second release changes nothing
    assert.equal(await threads(), 1);
    await one();
    assert.equal(await threads(), 2, 'back to the instance default');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});

test('held settings: concurrent holders on other connections, and a session table that leaves the setting as it found it', async () => {
  const { instance, conn } = await openDuck({ threads: 2 });
  const other = await instance.connect();
  const setting = async (name: string) => String((await other.runAndReadAll(`SELECT current_setting('${name}')`)).getRows()[0]![0]);
  try {
    assert.equal(await setting('preserve_insertion_order'), 'true');
    // holds taken and given back at once from two connections: the last SET reflects every hold
    const [a, b] = await Promise.all([holdUnordered(conn, instance), holdUnordered(other, instance)]);
    const t = await Promise.all([holdThreads(conn, instance, 1), holdThreads(other, instance, 3)]);
    assert.equal(await setting('preserve_insertion_order'), 'false');
    assert.equal(await setting('threads'), '3');
    await Promise.all([a(), t[1]!()]);
    assert.equal(await setting('preserve_insertion_order'), 'false', 'one holder is left');
    assert.equal(await setting('threads'), '1');
    await Promise.all([b(), t[0]!()]);
    assert.equal(await setting('preserve_insertion_order'), 'true');
    assert.equal(await setting('threads'), '2');
  } finally {
    other.closeSync();
    conn.closeSync();
    instance.closeSync();
  }
});

test('a session table is made unordered without changing the setting its instance had', async () => {
  const h = tmpHome('trib-held-');
  const ws = await openWorkspace({ config: loadConfig({ home: h.home }) });
  const setting = async () => String((await ws.wh.conn.runAndReadAll(`SELECT current_setting('preserve_insertion_order')`)).getRows()[0]![0]);
  try {
    await ws.wh.sessionTable('features.held_test', 'SELECT range AS x FROM range(1000)');
    assert.equal(await setting(), 'true', 'the default is back');
    const release = await holdUnordered(ws.wh.conn, ws.lake.duckdb);
    await ws.wh.sessionTable('features.held_test', 'SELECT range AS x FROM range(10)');
    assert.equal(await setting(), 'false', "another holder's value survives the session table");
    await release();
    assert.equal(await setting(), 'true');
    assert.equal(Number((await ws.wh.query<{ n: number }>('SELECT count(*) AS n FROM features.held_test'))[0]!.n), 10);
  } finally {
    await ws.close();
    h.cleanup();
  }
});

test('an incremental build reads what landed since its watermarks, and gives DuckDB its threads back', async () => {
  const h = tmpHome('trib-layout-');
  const ws = await openWorkspace({ config: loadConfig({ home: h.home }) });
  try {
    const { newer } = await landOlder(ws, { users: 40, tracks: 120, days: 6, customers: 60, products: 30, months: 3, seed: 5 }, 0.1);
    const threads = async () => Number((await ws.wh.conn.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]![0]);
    const before = await threads();
    const first = await executePipeline(ws, buildPipeline, { log: quiet });
    // no watermarks yet: the first run reads everything
    assert.equal(first.layout.read_rows, first.layout.input_rows);
    const added = await landEvents(ws, newer);
    const inc = await executePipeline(ws, buildPipeline, { log: quiet });
    assert.equal(inc.layout.read_rows, added, 'the rows landed since the watermarks (compactions move rows, they add none)');
    assert.ok(inc.layout.read_bytes > 0 && inc.layout.read_bytes < inc.layout.input_bytes);
    assert.equal(inc.layout.threads, 1);
    const full = await executePipeline(ws, buildPipeline, { full: true, log: quiet });
    assert.equal(full.layout.read_rows, full.layout.input_rows);
    assert.equal(await threads(), before, 'the run gave its thread count back');
  } finally {
    await ws.close();
    h.cleanup();
  }
});
