// `-- existence:` (src/warehouse/incremental/by-scope.ts): inputs that only decide whether a
// scope value has a row. curated.users and curated.tracks declare their event tables so: new
// events of users and tracks they hold recompute nothing; events of a user or track they do not
// hold add its row; either way the tables equal a full rebuild's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { buildPipeline } from '../../src/pipeline/build.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { parseExistence } from '../../src/warehouse/incremental/by-scope.ts';
import { tmpHome } from '../helpers.ts';
import { landOlder, landEvents, tableContents, type Ev } from '../fixtures/worlds.ts';

const quiet = () => {};

test('the existence header names inputs the model reads', () => {
  const m = { file: 'x.sql', inputs: ['raw.users', 'raw.play', 'raw.skip'] };
  assert.deepEqual([...parseExistence({ ...m, sql: '-- existence: raw.play, raw.skip\nSELECT 1' })], ['raw.play', 'raw.skip']);
  assert.equal(parseExistence({ ...m, sql: 'SELECT 1' }).size, 0);
  assert.throws(() => parseExistence({ ...m, sql: '-- existence: raw.like\nSELECT 1' }), /x\.sql.*raw\.like not read/);
});

test('events of held users and tracks recompute nothing; a new one adds its row; as a full rebuild', async () => {
  const { home, cleanup } = tmpHome('trib-exist-');
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  try {
    const { newer } = await landOlder(ws, { users: 25, tracks: 120, days: 6, customers: 30, products: 25, months: 4, seed: 11 }, 0.2);
    await executePipeline(ws, buildPipeline, { log: quiet });

    // new days of plays, skips, likes and searches by users and of tracks the tables hold
    const held = new Set((await ws.wh.query<{ user_id: string }>(`SELECT user_id FROM curated.users`)).map((r) => r.user_id));
    const music = (newer as (Ev & { user_id?: string })[]).filter((e) => e.user_id === undefined || held.has(e.user_id));
    await landEvents(ws, music);
    const r1 = await executePipeline(ws, buildPipeline, { log: quiet });
    const note = (name: string, r: typeof r1) => r.pipeline.stages.find((s) => s.name === name)?.note ?? '';
    assert.match(note('users', r1), /no user_id value to recompute/);
    assert.match(note('tracks', r1), /no track_id value to recompute/);

    // a play of a track nobody catalogued by a user without a profile, a search by another
    const ts = music.map((e) => e.ts).sort().at(-1)!;
    await landEvents(ws, [
      { event_id: 'exist-1', type: 'play', ts, user_id: 'u-unseen-1', track_id: 't-unseen-1', ms_played: 1000 },
      { event_id: 'exist-2', type: 'search', ts, user_id: 'u-unseen-2', query: 'x' },
    ]);
    const r2 = await executePipeline(ws, buildPipeline, { log: quiet });
    assert.match(note('users', r2), /merged by user_id: 2 user_id values recomputed/);
    assert.match(note('tracks', r2), /merged by track_id: 1 track_id values recomputed/);
    const [u] = await ws.wh.query<{ n: number }>(
      `SELECT count(*)::INT AS n FROM curated.users WHERE user_id IN ('u-unseen-1', 'u-unseen-2') AND unknown_profile`);
    assert.equal(u!.n, 2);
    const [t] = await ws.wh.query<{ n: number }>(`SELECT count(*)::INT AS n FROM curated.tracks WHERE track_id = 't-unseen-1' AND unknown_to_catalogue`);
    assert.equal(t!.n, 1);

    const incremental = { users: await tableContents(ws, 'curated.users'), tracks: await tableContents(ws, 'curated.tracks') };
    await executePipeline(ws, buildPipeline, { full: true, log: quiet });
    assert.deepEqual(await tableContents(ws, 'curated.users'), incremental.users);
    assert.deepEqual(await tableContents(ws, 'curated.tracks'), incremental.tracks);
  } finally {
    await ws.close();
    cleanup();
  }
});
