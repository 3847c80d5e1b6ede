// Models merged by day (`-- scope:` equal to `-- partition:`; curated.plays looks one day ahead
// with `-- lookahead: 1`): an incremental build recomputes only the days its new input rows fall
// on plus the lookahead days before them, and reads only those days of its inputs. A skip landing
// just after midnight ends a play started the evening before: the build must recompute that
// earlier day too, or curated.plays would differ from a full rebuild.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { musicWorld } from '../../src/events/generators/music.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { buildPipeline } from '../../src/pipeline/build.ts';
import { parseModel } from '../../src/warehouse/models.ts';
import { withInputs } from '../../src/warehouse/incremental.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { landDimensions, landEvents, tableContents } from '../fixtures/worlds.ts';
import { withWorkspace, writeRows } from '../fixtures/files.ts';
import { ingestFile } from '../../src/warehouse/ingest.ts';

const ONLY = ['curated.tracks', 'curated.plays', 'curated.likes', 'curated.music_interactions_daily'];

test('a model merged by day recomputes the changed days and the lookahead days before them', { timeout: 180_000 }, async (t) => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  t.after(async () => { await ws.close(); cleanup(); });
  const world = musicWorld({ seed: 5, users: 20, tracks: 60, days: 6 });
  const events = [...world.events()] as { type: string; ts: string; user_id?: string; track_id?: string }[];
  await landDimensions(ws, world.dimensions());
  const last = events.map((e) => e.ts.slice(0, 10)).sort().at(-1)!;
  const next = new Date(Date.parse(`${last}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const play = events.find((e) => e.type === 'play')!;
  // a play started 2 minutes before midnight, heard for 200 of 240 s: not skipped by itself
  const late = { event_id: 'late-play', type: 'play', ts: `${last}T23:58:00Z`, user_id: play.user_id, track_id: play.track_id,
    ms_played: 200_000, duration_ms: 240_000 };
  await landEvents(ws, [...events, late]);
  const run = (full = false) => executePipeline(ws, buildPipeline, { full, args: { only: ONLY }, log: () => {} });
  await run();
  const skipped = async () => (await ws.wh.query<{ skipped: boolean }>(`SELECT skipped FROM curated.plays WHERE event_id = 'late-play'`))[0]?.skipped;
  assert.equal(await skipped(), false);

  // the next day, a minute after midnight: a skip of that play
  await landEvents(ws, [{ event_id: 'late-skip', type: 'skip', ts: `${next}T00:00:30Z`, user_id: play.user_id, track_id: play.track_id,
    position_ms: 150_000, duration_ms: 240_000 }]);
  const inc = await run();
  const plays = inc.pipeline.stages.find((s) => s.name === 'plays')!;
  assert.match(plays.note ?? '', /merged by event_id: 2 day values recomputed/, plays.note ?? '');
  assert.equal(await skipped(), true, 'the evening play is recomputed with the skip of the next day');
  // the days downstream: only the play's day changed in curated.plays
  const daily = inc.pipeline.stages.find((s) => s.name === 'music_interactions_daily')!;
  assert.match(daily.note ?? '', /1 day values recomputed/, daily.note ?? '');

  // a skip at noon of the next day, which no play of the evening before reaches (a track lasts
  // 20 minutes at most), and a play just after midnight (plays look ahead in raw.skip alone): the
  // next day alone is recomputed
  await landEvents(ws, [
    { event_id: 'noon-skip', type: 'skip', ts: `${next}T12:00:00Z`, user_id: play.user_id, track_id: play.track_id, position_ms: 1000, duration_ms: 240_000 },
    { event_id: 'night-play', type: 'play', ts: `${next}T00:00:10Z`, user_id: play.user_id, track_id: play.track_id, ms_played: 5000, duration_ms: 240_000 },
  ]);
  const later = (await run()).pipeline.stages.find((s) => s.name === 'plays')!;
  // and of that day, only the plays of the user and track the new rows name (-- within:)
  assert.match(later.note ?? '', /merged by event_id: 1 day values recomputed within the changed user_id\+track_id values \(1 rows\)/, later.note ?? '');
  const incremental = new Map<string, string[]>();
  for (const table of ONLY) incremental.set(table, await tableContents(ws, table));
  await run(true);
  for (const table of ONLY) assert.deepEqual(incremental.get(table), await tableContents(ws, table), `${table}: incremental == full`);
});

test('the lookahead header: a whole number of days, on a model built by day', () => {
  const m = parseModel('x.sql', '-- table: curated.x\n-- merge: id\n-- scope: day\n-- partition: day\n-- lookahead: 2\nSELECT 1 AS id, current_date AS day');
  assert.equal(m.lookahead, 2);
  assert.equal(m.lookaheadInputs, undefined);
  const plays = parseModel('p.sql', '-- table: curated.p\n-- partition: day\n-- lookahead: 1 raw.skip\n-- reach: ts + INTERVAL 1 HOUR\n' +
    'SELECT * FROM raw.play JOIN raw.skip USING (user_id)');
  assert.deepEqual(plays.lookaheadInputs, ['raw.skip']);
  assert.equal(plays.reach, 'ts + INTERVAL 1 HOUR');
  assert.throws(() => parseModel('x.sql', '-- table: curated.x\n-- partition: day\n-- lookahead: 1 raw.like\nSELECT * FROM raw.play'),
    /x.sql: "-- lookahead:" names "raw.like", which is not one of its inputs \(raw.play\)/);
  assert.throws(() => parseModel('x.sql', '-- table: curated.x\n-- partition: day\n-- reach: ts\nSELECT * FROM raw.play'), /x.sql: "-- reach:" needs a "-- lookahead:"/);
  assert.deepEqual(parseModel('x.sql', '-- table: curated.x\n-- merge: id\n-- scope: day\n-- partition: day\n-- within: user_id, track_id\nSELECT 1').within,
    ['user_id', 'track_id']);
  assert.throws(() => parseModel('x.sql', '-- table: curated.x\n-- merge: id\n-- partition: day\n-- within: user_id\nSELECT 1'),
    /x.sql: "-- within:" needs a model merged by day/);
  assert.throws(() => parseModel('x.sql', '-- table: curated.x\n-- partition: day\n-- lookahead: one\nSELECT 1'), /x.sql: "-- lookahead:" expects a whole number of days/);
  assert.throws(() => parseModel('x.sql', '-- table: curated.x\n-- lookahead: 1\nSELECT 1'), /x.sql: "-- lookahead:" needs a "-- partition:" day column/);
});

test('withInputs replaces the references to restricted inputs, not string literals nor other tables', () => {
  const sql = `WITH a AS (SELECT * FROM raw.play) SELECT 'from raw.play' AS note, * FROM a JOIN curated.tracks USING (track_id) JOIN raw.play_x USING (x)`;
  const out = withInputs(sql, new Map([['raw.play', 'SELECT 1 AS x']]), 'i1');
  assert.equal(out, `WITH i1_in0 AS (SELECT 1 AS x)\nSELECT * FROM (\nWITH a AS (SELECT * FROM i1_in0) SELECT 'from raw.play' AS note, * ` +
    `FROM a JOIN curated.tracks USING (track_id) JOIN raw.play_x USING (x)\n)`);
  assert.equal(withInputs(sql, new Map(), 'i2'), sql);
  // an apostrophe in a comment opens no string: the references after it are replaced
  const commented = `-- the model's input, see raw.play\nSELECT * FROM raw.play /* raw.play's rows */ JOIN raw.play USING (x)`;
  assert.equal(withInputs(commented, new Map([['raw.play', 'SELECT 1 AS x']]), 'i3'),
    `WITH i3_in0 AS (SELECT 1 AS x)\nSELECT * FROM (\n-- the model's input, see raw.play\nSELECT * FROM i3_in0 /* raw.play's rows */ JOIN i3_in0 USING (x)\n)`);
});

test('a model first built from empty inputs (no dt= column) merges once its inputs arrive', { timeout: 180_000 }, async (t) => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  t.after(async () => { await ws.close(); cleanup(); });
  const only = ['curated.skips'];
  const run = (full = false) => executePipeline(ws, buildPipeline, { full, args: { only }, log: () => {} });
  // no skip landed yet: raw.skip's view is the empty one of its schema, without the dt= folder column
  await run();
  const skip = (id: string, day: string) => ({ event_id: id, type: 'skip', ts: `${day}T10:00:00Z`, user_id: 'u', track_id: 't', position_ms: 1000 });
  await landEvents(ws, [skip('s1', '2026-01-02'), skip('s2', '2026-01-03')]);
  const first = await run();
  assert.match(first.pipeline.stages[0]!.note ?? '', /rebuilt: its stored files lack a column/);
  await landEvents(ws, [skip('s3', '2026-01-04')]);
  const second = await run();
  assert.match(second.pipeline.stages[0]!.note ?? '', /merged by event_id: 1 dt values recomputed/);
  const incremental = await tableContents(ws, 'curated.skips');
  assert.equal(incremental.length, 3);
  await run(true);
  assert.deepEqual(incremental, await tableContents(ws, 'curated.skips'));
});

test('a bulk import (partitioned by year, not by day) merges by day like the collector files', { timeout: 180_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    const only = ['curated.orders'];
    const run = (full = false) => executePipeline(ws, buildPipeline, { full, args: { only }, log: () => {} });
    const line = (id: string, ts: string) => ({ event_id: id, ts, invoice_no: `i-${id}`, stock_code: '22633', description: 'HAND WARMER',
      quantity: 2, unit_price: 1.85, customer_id: '17850', country: 'United Kingdom' });
    const load = (name: string, lines: object[]) => ingestFile(ws.wh, writeRows(home, name, lines), { table: 'order_line', format: 'ndjson' });
    await load('a.ndjson', [line('a', '2011-01-05T10:00:00Z'), line('b', '2011-03-10T10:00:00Z')]);
    await run();
    // the second file's lines sit in the year's dt=2011-01-01 partition: their days are no partition's name
    await load('b.ndjson', [line('c', '2011-03-10T12:00:00Z'), line('d', '2011-04-01T08:00:00Z')]);
    const inc = await run();
    assert.match(inc.pipeline.stages[0]!.note ?? '', /merged by event_id: 2 day values recomputed/, inc.pipeline.stages[0]!.note ?? '');
    const incremental = await tableContents(ws, 'curated.orders');
    assert.equal(incremental.length, 4);
    await run(true);
    assert.deepEqual(incremental, await tableContents(ws, 'curated.orders'));
  });
});
