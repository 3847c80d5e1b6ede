// The demo end to end on small worlds: events go through the real collector, land in the lake,
// the warehouse is built, and the numbers add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/demo/run.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';

test('demo: collect → lake → warehouse on small generated worlds', { timeout: 180_000 }, async () => {
  const { home, cleanup } = tmpHome();
  try {
    const config = testConfig(home);
    // segments of 32 KB (a POST's batch of events each): this world's days, of several batches
    // each, then land as several files each, as a live feed's do
    const s = await runDemo({
      config, seed: 3, users: 400, tracks: 200, days: 2, customers: 150, products: 50, months: 14, simulateDays: 0, walSegmentBytes: 32 << 10, log: () => {},
    });
    assert.ok(s.collected.music.accepted > 1000);
    assert.ok(s.collected.music.rejected > 0, 'corrupted events were rejected');
    const rows = Object.fromEntries(s.tables.map((t) => [t.table, t.rows]));
    assert.equal(rows['quarantine.events'], s.collected.music.rejected, 'every rejection is in quarantine');
    const rawMusic = ['raw.play', 'raw.skip', 'raw.like', 'raw.search'].reduce((a, t) => a + (rows[t] ?? 0), 0);
    assert.equal(rawMusic, s.collected.music.accepted, 'every accepted music event is in the lake');
    assert.equal(rows['raw.order_line'], s.collected.retail.accepted);
    assert.equal(rows['curated.plays'], rows['raw.play'], 'event ids are unique, so dedup keeps every play');
    assert.equal(rows['curated.users'], 400);
    assert.equal(s.stages.length, 8);
    // the build's compaction merged the days' small files, and the lake holds every row still
    const c = s.warehouse.compaction!;
    assert.ok(c.partitions > 0 && c.filesAfter < c.filesBefore, `compaction merged files: ${JSON.stringify(c)}`);
    assert.equal(s.tables.find((t) => t.table === 'raw.play')!.files < c.filesBefore, true);
    // the recommender trained on the music world: metrics for every model, playlists for every user
    assert.ok(s.recommender.models.some((m) => m.model === 'popularity'));
    assert.equal(s.recommender.playlists.users, 400);
    assert.equal(rows['raw.recommendation_shown'], s.recommender.playlists.events, 'one recommendation_shown event per playlist, durably appended');
    assert.ok(s.recommender.samples.every((p) => p.tracks.every((t) => t.reason.length > 0)));
    assert.ok(s.recommender.registered && s.recommender.registered.version >= 1);
    const lm = s.recommender.like_model;
    assert.ok(lm.auc >= 0 && lm.auc <= 1 && Number.isFinite(lm.log_loss), 'the like model reports AUC and log loss');
    // sales analytics ran on the order lines collected over HTTP and registered its models
    assert.ok(s.retail.kpis.revenue > 0 && s.retail.kpis.customers > 0 && s.retail.kpis.invoices > 0);
    assert.ok(s.retail.segments.k >= 2 && s.retail.segments.names.length === s.retail.segments.k);
    assert.deepEqual(s.retail.registered.map((m) => m.name).sort(), ['retail-segments', 'retail-spend']);

    // a second run over the same home sends the same (seeded) events again: the raw zone holds
    // both copies, the curated tables deduplicate on event_id
    const again = await runDemo({
      config, seed: 3, users: 400, tracks: 200, days: 2, customers: 150, products: 50, months: 14, simulateDays: 0, log: () => {},
    });
    const rows2 = Object.fromEntries(again.tables.map((t) => [t.table, t.rows]));
    assert.equal(rows2['raw.play'], 2 * rows['raw.play']!);
    assert.equal(rows2['curated.plays'], rows['curated.plays']);
    const ws = await openWorkspace({ config });
    try {
      const [p] = await ws.wh.query<{ skipped: number; completed: number; both: number }>(
        'SELECT sum(skipped::INT) AS skipped, sum(completed::INT) AS completed, sum((skipped AND completed)::INT) AS both FROM curated.plays');
      assert.ok(p!.skipped > 0 && p!.completed > 0);
      assert.equal(p!.both, 0, 'a play is never both skipped and completed');
    } finally { await ws.close(); }
  } finally { cleanup(); }
});
