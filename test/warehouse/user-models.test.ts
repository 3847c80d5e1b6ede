// User SQL models (a dbt-like models/ folder): ref() to other models and to lake tables, the
// dependency graph and its order, --select, schema tests whose failures are reported (and
// skip what depends on them), lineage in the snapshot summary, and `tributary build`'s report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { buildUserModels, loadUserModels, selectModels, topoOrder, UserModelError } from '../../src/warehouse/user-models.ts';
import { tmpHome } from '../helpers.ts';

function write(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
}

const MODELS = {
  // reads a lake table through ref('zone.name')
  'listeners.sql': '-- tests: not_null(user_id), unique(user_id)\nSELECT user_id, count(*) AS plays, sum(ms_played) / ' +
    "1000 AS seconds\nFROM {{ ref('raw.play') }} GROUP BY user_id",
  // reads another model; its unique test fails: two listeners share a play count
  'play_counts.sql': "-- tests: unique(plays)\nSELECT plays, count(*) AS listeners FROM ref('listeners') GROUP BY plays " +
    "UNION ALL SELECT plays, 0 FROM ref('listeners')",
  // downstream of the failing model: skipped
  'top_counts.sql': "SELECT * FROM {{ ref('play_counts') }} ORDER BY listeners DESC LIMIT 3;",
  // independent
  'heavy_listeners.sql': "-- table: features.heavy_listeners\n-- tests: not_null(user_id)\nSELECT user_id FROM {{ ref('listeners') }} WHERE plays >= 2",
};

test('user SQL models', async (t) => {
  const { home, cleanup } = tmpHome();
  t.after(cleanup);
  const dir = join(home, 'project', 'models');
  write(dir, MODELS);
  const config = loadConfig({ home: join(home, 'project', '.tributary') });
  const ws = await openWorkspace({ config });
  let open = true;
  const close = async () => { if (open) { open = false; await ws.close(); } };
  t.after(close);
  const plays = ['u1', 'u1', 'u2', 'u2', 'u3'].map((u, i) => JSON.stringify({
    event_id: `e${i}`,
    type: 'play',
    ts: `2026-11-2${i}T10:00:00Z`,
    user_id: u,
    track_id: 't1',
    ms_played: 60000,
    duration_ms: 200000,
  }));
  await ws.lake.append(plays.map((json) => ({ table: 'raw.play', dt: '2026-11-20', json })));
  await ws.lake.flush();
  await ws.wh.refresh();

  await t.test('refs resolve to models and lake tables; the graph orders the build', () => {
    const models = loadUserModels(dir);
    const byName = Object.fromEntries(models.map((m) => [m.name, m]));
    assert.deepEqual(byName.listeners!.sources, ['raw.play']);
    assert.deepEqual(byName.play_counts!.dependsOn, ['listeners']);
    assert.equal(byName.heavy_listeners!.table, 'features.heavy_listeners');
    assert.match(byName.top_counts!.sql, /FROM curated\."play_counts"/);
    const order = topoOrder(models).map((m) => m.name);
    assert.ok(order.indexOf('listeners') < order.indexOf('play_counts') && order.indexOf('play_counts') < order.indexOf('top_counts'));
    assert.deepEqual(selectModels(models, ['+play_counts']).map((m) => m.name), ['listeners', 'play_counts']);
    assert.deepEqual(selectModels(models, ['play_counts+']).map((m) => m.name), ['play_counts', 'top_counts']);
    assert.throws(() => selectModels(models, ['nope']), /--select nope: no such model/);
  });

  await t.test('build: models materialised, a failing schema test reported, its downstream skipped', async () => {
    const runs = await buildUserModels(ws.wh, { dir });
    const by = Object.fromEntries(runs.map((r) => [r.model, r]));
    assert.equal(by.listeners!.status, 'built');
    assert.equal(by.listeners!.rows, 3);
    assert.ok(by.listeners!.tests.every((x) => x.passed));
    assert.equal(by.play_counts!.status, 'test_failed');
    const failed = by.play_counts!.tests.find((x) => !x.passed)!;
    assert.equal(failed.test, 'unique(plays)');
    assert.ok(failed.failures >= 1);
    assert.match(by.play_counts!.message!, /unique\(plays\) failed on \d+ duplicated value/);
    assert.equal(by.top_counts!.status, 'skipped');
    assert.match(by.top_counts!.message!, /upstream model play_counts failed/);
    assert.equal(by.heavy_listeners!.status, 'built');
    // built by the same engine as ours: lake tables with numbered snapshots, readable by SQL
    const [h] = await ws.wh.query<{ n: number }>('SELECT count(*) AS n FROM features.heavy_listeners');
    assert.equal(h!.n, 2);
    // lineage: the snapshot records the model file and the snapshots of what it read
    const snaps = await ws.lake.catalog.snapshots('curated.play_counts');
    const summary = JSON.stringify(snaps.at(-1));
    assert.match(summary, /models\/play_counts\.sql/);
    assert.match(summary, /curated\.listeners/);
  });

  await t.test('errors name the file: unknown ref, a cycle', () => {
    const bad = join(home, 'bad');
    write(bad, { 'a.sql': "SELECT * FROM ref('nope')" });
    assert.throws(() => loadUserModels(bad), (e: Error) => e instanceof UserModelError && /a\.sql: ref\('nope'\) names no model/.test(e.message));
    const cyc = join(home, 'cyc');
    write(cyc, { 'a.sql': "SELECT * FROM ref('b')", 'b.sql': "SELECT * FROM ref('a')" });
    assert.throws(() => topoOrder(loadUserModels(cyc)), /cycle: a -> b -> a/);
  });

  await t.test('tributary build --select reports the failing test and exits 1', async () => {
    await close();
    const cwd = join(home, 'project');
    const r = spawnSync(process.execPath, [resolve('bin/tributary.js'), 'build', '--select', '+play_counts'], {
      cwd,
      env: { ...process.env, TRIBUTARY_HOME: config.home },
      encoding: 'utf8',
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /PASS listeners: unique\(user_id\)/);
    assert.match(r.stdout, /FAIL play_counts: unique\(plays\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /top_counts/); // not selected
    const j = spawnSync(process.execPath, [resolve('bin/tributary.js'), 'build', '--select', 'listeners', '--json'], {
      cwd,
      env: { ...process.env, TRIBUTARY_HOME: config.home },
      encoding: 'utf8',
    });
    assert.equal(j.status, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout).models.map((m: { model: string; status: string }) => [m.model, m.status]), [['listeners', 'built']]);
  });
});
