// A/B experiments in the simulator. One arm truly better: popularity (arm a) against the
// recommender the pipeline tunes (arm b), served side by side through the API to the simulated
// users of the world; the arm is on every recommendation_shown event and audit row, and the
// decision rule picks b. Two equal arms: over repeated seeded runs, the rule declares a winner
// no more often than its configured error rate allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runMusic } from '../../src/pipeline/music.ts';
import { ACCEPTANCE_MODELS } from '../../src/analytics/music/features.ts';
import { IdStream } from '../../src/events/generators/common.ts';
import { musicResponder, musicWorld } from '../../src/events/generators/music.ts';
import { answerPlaylist } from '../../src/events/simulator.ts';
import { simulateMusic } from '../../src/events/simulator.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { assignArm, decide, experimentStatus, startExperiment, stopExperiment } from '../../src/monitoring/experiments.ts';
import { startServer } from '../../src/serving/server.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { buildModels } from '../../src/warehouse/models.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { landMusicWorld } from '../fixtures/worlds.ts';

const WORLD = { seed: 11, users: 120, tracks: 400, days: 21 };

test('A/B in the simulator: the tuned recommender beats popularity, the decision picks it and promotes it', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const config = { ...testConfig(home), port: 0 };
  try {
    let a: number, b: number;
    {
      const ws = await openWorkspace({ config });
      try {
        await landMusicWorld(ws, WORLD);
        a = ((await runMusic(ws, { seed: 1, models: ['popularity'], tune: false })).tracking as { version: number }).version;
        b = ((await runMusic(ws, { seed: 1, models: ['popularity', 'ease', 'als'], tune: true })).tracking as { version: number }).version;
        await startExperiment(ws.store, new ModelRegistry(ws.store, { home }), { model: 'music-recommender', a, b, id: 'exp-pop-vs-tuned' });
      } finally { await ws.close(); }
    }
    const server = await startServer(config);
    let sim;
    try {
      sim = await simulateMusic({ world: WORLD, api: server.url, days: 4, openShare: 0.8, background: false });
    } finally { await server.close(); }
    assert.ok(sim.arms.a!.requests > 40 && sim.arms.b!.requests > 40, 'both arms served');

    const ws = await openWorkspace({ config });
    try {
      await ws.wh.refresh();
      await buildModels(ws.wh, { only: ACCEPTANCE_MODELS });
      // every playlist of the simulation carries its arm, and the arm is the user's hash
      const shown = await ws.wh.query<{ user_id: string; arm: string | null; experiment_id: string | null; model_version: string }>(
        `SELECT user_id, arm, experiment_id, model_version FROM raw.recommendation_shown WHERE ts >= TIMESTAMPTZ ` +
          `'2025-01-27T00:00:00Z' AND ts < TIMESTAMPTZ '2025-02-01T00:00:00Z'`);
      assert.equal(shown.length, sim.requests);
      for (const s of shown) {
        assert.equal(s.experiment_id, 'exp-pop-vs-tuned');
        assert.equal(s.arm, assignArm('exp-pop-vs-tuned', s.user_id, 0.5));
        assert.equal(s.model_version, `music-recommender@v${s.arm === 'a' ? a! : b!}`);
      }
      const [audit] = await ws.wh.query<{ n: number; with_arm: number }>(
        `SELECT count(*)::INT AS n, count(arm)::INT AS with_arm FROM inference.requests WHERE endpoint = ` +
          `'recommendations' AND experiment_id = 'exp-pop-vs-tuned'`);
      assert.equal(audit!.n, sim.requests, 'one audit row per playlist, with its arm');
      assert.equal(audit!.with_arm, sim.requests);

      const registry = new ModelRegistry(ws.store, { home });
      const exp = {
        id: 'exp-pop-vs-tuned',
        model: 'music-recommender',
        arms: { a: a!, b: b! },
        split: 0.5,
        status: 'running' as const,
        started_at: '',
        stopped_at: null,
        started_by: 'test',
        decision: null,
      };
      const d = await experimentStatus(ws.wh, exp, ws.config.experiments);
      assert.equal(d.winner, 'b', d.reason);
      assert.ok(d.arms[1]!.acceptance > d.arms[0]!.acceptance && d.ci[0] > 0);
      const r = await stopExperiment(ws.store, registry, exp, d);
      assert.equal(r.promoted, b!);
      assert.equal((await registry.getChampionVersion('music-recommender'))!.version, b!);
    } finally { await ws.close(); }
  } finally { cleanup(); }
});

test('A/B decision rule: two equal arms, repeated seeded runs, winners at most at the configured error rate', () => {
  const alpha = 0.05, runs = 40, minUsersPerArm = 30;
  const world = musicWorld({ ...WORLD, start: Date.parse('2025-01-27T00:00:00Z'), days: 7, stream: 1 });
  const responder = musicResponder(world);
  // both arms serve the same list: popular tracks (the world's own popularity prior)
  const popular = [...world.tracks].sort((x, y) => y.popularity - x.popularity).slice(0, 40).map((t) => t.track_id);
  let winners = 0;
  for (let run = 0; run < runs; run++) {
    const rng = new Rng(1000 + run), ids = new IdStream(run, 9);
    const perUser = world.users.map((u, i) => {
      const list = rng.shuffle([...popular]).slice(0, 10);
      let shown = 0, accepted = 0;
      for (let day = 0; day < 3; day++) {
        const t = world.start + day * 86_400_000 + responder.sessionHour(i, rng) * 3_600_000;
        const r = answerPlaylist(responder, world, i, list, t, rng, ids);
        shown += list.length; accepted += r.accepted;
      }
      return { arm: assignArm(`exp-aa-${run}`, u.user_id), shown, accepted };
    });
    if (decide(perUser, { a: 1, b: 2 }, { alpha, minUsersPerArm }).winner) winners++;
  }
  // Binomial(40, 0.05): P(more than 6 winners) < 0.003
  assert.ok(winners <= 6, `${winners} of ${runs} runs declared a winner between equal arms (alpha ${alpha})`);
});
