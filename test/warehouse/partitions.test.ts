// Building an SQL model day by day (what each `tributary worker` day job does), in one process:
// the days together equal the model built whole; a day built again changes nothing; a model
// whose rows do not keep to their day is refused, not misfiled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { musicWorld } from '../../src/events/generators/music.ts';
import { buildModels, loadModels, parseModel } from '../../src/warehouse/models.ts';
import { buildModelDay, isDay, modelDays } from '../../src/warehouse/partitions.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { landDimensions, landEvents } from '../fixtures/worlds.ts';
import { tableDiff } from '../fixtures/table-diff.ts';

test('a model built day by day equals the model built whole', { timeout: 120_000 }, async (t) => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  t.after(async () => { await ws.close(); cleanup(); });
  const world = musicWorld({ seed: 9, users: 50, tracks: 120, days: 5 });
  await landEvents(ws, [...world.events()]);
  await landDimensions(ws, world.dimensions());
  const model = loadModels().find((m) => m.table === 'curated.music_interactions_daily')!;
  assert.equal(model.partition, 'day');
  await buildModels(ws.wh, { only: ['curated.tracks', 'curated.plays', 'curated.likes', model.table] });

  const days = await modelDays(ws.wh, model);
  assert.ok(days.length >= 5 && days.every(isDay), `the inputs' days: ${days.join(', ')}`);
  for (const day of days) await buildModelDay(ws.wh, model, day, 'features.days_test');
  const again = await buildModelDay(ws.wh, model, days[0]!, 'features.days_test');
  await ws.wh.refresh();
  const d = await tableDiff(ws.wh, model.table, 'features.days_test');
  assert.ok(d.rows > 500, `a model of some size (${d.rows} rows)`);
  assert.deepEqual([d.missing, d.extra], [0, 0], 'the days together are the model built whole, a day built twice counted once');
  assert.ok(again.rows > 0);

  // a header that does not hold: rows of every day, built "by day"
  const liar = parseModel('999_liar.sql', '-- table: curated.liar\n-- partition: day\nSELECT user_id, DATE \'2020-01-01\' AS day FROM curated.plays');
  await assert.rejects(() => buildModelDay(ws.wh, liar, days[0]!, 'features.liar'), /rows of another day; its "-- partition: day" header does not hold/);
  await assert.rejects(() => buildModelDay(ws.wh, model, '2026-02-30', 'features.days_test'), /expected a date YYYY-MM-DD/);
  const whole = parseModel('998_whole.sql', '-- table: curated.whole\nSELECT count(*) AS n FROM curated.plays');
  await assert.rejects(() => modelDays(ws.wh, whole), /not built by day/);
});
