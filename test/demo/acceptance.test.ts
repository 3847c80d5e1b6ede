// The loop closed by the demo: after serving, simulated users ask for their recommendations and
// answer them through the collector; the acceptance rate the warehouse reports is non-zero,
// comes from those users' events, and equals a recount by hand from the raw events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/demo/run.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';

const DAY = 86_400_000;

test('demo: simulated users answer their recommendations; acceptance equals a recount from raw events', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  try {
    const config = testConfig(home);
    const s = await runDemo({
      config, seed: 5, users: 80, tracks: 300, days: 14, customers: 120, products: 40, months: 12, simulateDays: 3, walSegmentBytes: 32 << 10, log: () => {},
    });
    assert.ok(s.loop, 'the demo ran the simulation');
    assert.ok(s.loop.playlists > 50 && s.loop.answered_plays > 0);
    assert.ok(s.loop.acceptance.accepted > 0 && s.loop.acceptance.rate! > 0, 'acceptance is non-zero');
    // the simulated days arrived as a live feed does, in many small files, and the incremental
    // build that followed merged them
    const c = s.loop.build.compaction!;
    assert.ok(c.partitions > 0 && c.filesAfter < c.filesBefore, `compaction merged the simulated days' files: ${JSON.stringify(c)}`);

    const ws = await openWorkspace({ config });
    try {
      const worldEnd = Date.parse('2025-01-06T00:00:00Z') + 14 * DAY, simEnd = worldEnd + 3 * DAY;
      const shown = await ws.wh.query<{ event_id: string; ts: Date; user_id: string; track_ids: string[] }>(
        `SELECT event_id, ts, user_id, track_ids FROM raw.recommendation_shown`);
      const plays = await ws.wh.query<{
        event_id: string;
        ts: Date;
        user_id: string;
        track_id: string;
        ms_played: number;
        duration_ms: number | null;
        context: string | null;
      }>(
        `SELECT event_id, ts, user_id, track_id, ms_played, duration_ms, context FROM raw.play`);
      const likes = await ws.wh.query<{
        event_id: string;
        ts: Date;
        user_id: string;
        track_id: string;
      }>(`SELECT event_id, ts, user_id, track_id FROM raw.like`);
      // the recount, in plain code: each distinct shown event's tracks, accepted when the user
      // played the track to >= 90% or liked it within 7 days after
      const dedup = <T extends { event_id: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.event_id, x])).values()];
      const key = (u: string, t: string) => `${u}\u0000${t}`;
      const completedAt = new Map<string, number[]>(), likedAt = new Map<string, number[]>();
      for (const p of dedup(plays)) {
        if (p.duration_ms !== null && p.ms_played >= 0.9 * p.duration_ms) (completedAt.get(key(p.user_id, p.track_id)) ??
          completedAt.set(key(p.user_id, p.track_id), []).get(key(p.user_id, p.track_id))!).push(new Date(p.ts).getTime());
      }
      for (const l of dedup(likes)) (likedAt.get(key(l.user_id, l.track_id)) ??
        likedAt.set(key(l.user_id, l.track_id), []).get(key(l.user_id, l.track_id))!).push(new Date(l.ts).getTime());
      let nShown = 0, nAccepted = 0, simShown = 0;
      for (const e of dedup(shown)) {
        const t0 = new Date(e.ts).getTime();
        if (t0 >= worldEnd && t0 < simEnd) simShown++; // the pipeline's own playlists carry the wall clock
        for (const tr of e.track_ids) {
          nShown++;
          const within = (xs: number[] | undefined) => (xs ?? []).some((t) => t >= t0 && t < t0 + 7 * DAY);
          if (within(completedAt.get(key(e.user_id, tr))) || within(likedAt.get(key(e.user_id, tr)))) nAccepted++;
        }
      }
      assert.equal(s.loop.acceptance.shown, nShown, 'shown tracks: the warehouse and the recount agree');
      assert.equal(s.loop.acceptance.accepted, nAccepted, 'accepted tracks: the warehouse and the recount agree');
      assert.equal(simShown, s.loop.playlists, 'every playlist the simulated users asked for was logged on the world clock');
      // the acceptance comes from the simulated users' answers (plays in context "recommendation")
      const [fromSim] = await ws.wh.query<{ n: number }>(
        `SELECT count(*)::INT AS n FROM curated.music_shown_tracks s WHERE accepted AND s.ts >= TIMESTAMPTZ ` +
          `'${new Date(worldEnd).toISOString()}' AND s.ts < TIMESTAMPTZ '${new Date(simEnd).toISOString()}'`);
      assert.equal(fromSim!.n, nAccepted, 'every accepted track was shown during the simulation');
      assert.ok(plays.some((p) => p.context === 'recommendation'));
    } finally { await ws.close(); }
  } finally { cleanup(); }
});
