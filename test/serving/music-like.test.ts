// The like model end to end: trained from the lake by the music pipeline, registered as
// `music-like` (champion, with its recipe, which the gate's retraining reproduces exactly on the
// same data), served over a real HTTP server on port 0 at POST /v1/predict/music-like
// (documented in the OpenAPI from its zod schema), asked by the simulator about every track it
// is shown, every answer audited with the feature rows the model saw, and monitored on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIKE_FEATURES } from '../../src/analytics/music/like-features.ts';
import { LikeModel, type LikeArtifact } from '../../src/analytics/music/like-model.ts';
import { simulateMusic, type SimulationSummary } from '../../src/events/simulator.ts';
import { RECIPES } from '../../src/monitoring/recipes.ts';
import { runMonitor } from '../../src/monitoring/monitor.ts';
import { closeThreadPool } from '../../src/util/thread-pool.ts';
import { listRetrainDecisions, retrainModel } from '../../src/monitoring/retrain.ts';
import { runMusic } from '../../src/pipeline/music.ts';
import { startServer } from '../../src/serving/server.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { landMusicWorld } from '../fixtures/worlds.ts';

test.after(() => closeThreadPool());

const WORLD = { seed: 5, users: 120, tracks: 300, days: 21 };

const post = async (url: string, body: unknown) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() as any };
};

test('music-like: trained from the lake, registered, retrained by the gate with its recipe, served over HTTP, asked by ' +
  'the simulator, audited and monitored', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const config = { ...testConfig(home), port: 0 };
  try {
    let user: string, track: string, heardPlays: number, skipRate: number | null, heard: { user_id: string; track_id: string }[];
    {
      const ws = await openWorkspace({ config });
      try {
        await landMusicWorld(ws, WORLD);
        const out = await runMusic(ws, { seed: 1, models: ['popularity', 'als'], tune: false });
        const tracking = out.tracking as { like: { model: string; version: number; champion: boolean } };
        assert.deepEqual(tracking.like, { model: 'music-like', version: 1, champion: true }, 'the first like model is registered as champion');
        const registry = new ModelRegistry(ws.store, { home });
        const v1 = await registry.loadModel('music-like', 'champion');
        assert.equal((v1.artifact as LikeArtifact).kind, 'music-like');
        const recipe = (v1.artifact as LikeArtifact).recipe;
        assert.deepEqual(
          { ...recipe, als: typeof recipe.als },
          { als: 'object', cutoffAt: 0.75, testUserFraction: 0.25, seed: 1 },
          'the recipe is stored with it',
        );
        assert.deepEqual(v1.params.cutoffAt, 0.75, 'and as its params');
        assert.ok(v1.lineage.snapshots.some((s) => s.table === 'raw.play'), 'lineage names the lake snapshots');
        assert.ok(Number(v1.metrics.auc) > 0.5, `AUC ${v1.metrics.auc} beats chance`);
        // a pair the user played: its served features are the warehouse's statistics at the end of the data
        const [pair] = await ws.wh.query<{ user_id: string; track_id: string; plays: number; skip_rate: number | null }>(
          `SELECT i.user_id, i.track_id, i.plays::DOUBLE AS plays, s.skip_rate::DOUBLE AS skip_rate FROM curated.music_interactions i
           JOIN curated.music_track_stats s USING (track_id) WHERE i.plays >= 2 ORDER BY i.user_id, i.track_id LIMIT 1`);
        user = pair!.user_id; track = pair!.track_id; heardPlays = Number(pair!.plays); skipRate = pair!.skip_rate;
        heard = await ws.wh.query<{ user_id: string; track_id: string }>(`SELECT user_id, track_id FROM ` +
          `curated.music_interactions WHERE plays >= 2 ORDER BY plays DESC, user_id, track_id LIMIT 300`);

        // retraining with its recipe: the same lake and seed give the same model, so the gate keeps the champion
        const r = await retrainModel(ws, 'music-like', { recipes: RECIPES, seed: 1 });
        assert.equal(r.decision.metric, 'log_loss');
        assert.ok(Math.abs(r.decision.challenger - r.decision.champion) < 1e-12, r.decision.reason);
        assert.equal(r.decision.promote, false);
        assert.equal((await registry.getVersion('music-like', 'champion')).version, 1);
        assert.equal((await registry.getVersion('music-like', 'challenger')).version, r.challenger_version);
        const [d] = await listRetrainDecisions(ws.store, { model: 'music-like' });
        assert.equal(d!.outcome, 'kept_champion');
        assert.match((await registry.getVersion('music-like', r.challenger_version)).card, /## Retraining decision[\s\S]*champion kept/);
      } finally { await ws.close(); }
    }

    const server = await startServer(config);
    let served: any, sim: SimulationSummary;
    try {
      const url = `${server.url}/v1/predict/music-like`;
      const one = await post(url, { user_id: user, track_id: track, hour_of_day: 20 });
      assert.equal(one.status, 200, JSON.stringify(one.body));
      assert.equal(one.body.model, 'music-like');
      assert.equal(one.body.version, 1);
      served = one.body.predictions[0];
      assert.ok(served.probability > 0 && served.probability < 1, `probability ${served.probability}`);
      assert.equal(served.known_user, true);
      assert.equal(served.known_track, true);

      const batch = await post(url, { pairs: [{ user_id: user, track_id: track, hour_of_day: 20 }, { user_id: 'nobody', track_id: track }] });
      assert.equal(batch.status, 200);
      assert.equal(batch.body.predictions[0].probability, served.probability, 'the same question, the same answer');
      assert.equal(batch.body.predictions[1].known_user, false, 'an unknown user is answered, flagged');

      // 300 questions about tracks the users already play a lot: monitoring will see them in the audit log
      assert.equal((await post(url, { pairs: heard.map((h) => ({ ...h, hour_of_day: 20 })) })).status, 200);

      const bad = await post(url, { user_id: user });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.field, 'track_id');
      const badHour = await post(url, { user_id: user, track_id: track, hour_of_day: 24 });
      assert.equal(badHour.status, 400);
      assert.match(JSON.stringify(badHour.body), /hour_of_day/);

      const doc = await (await fetch(`${server.url}/openapi.json`)).json() as any;
      const op = doc.paths['/v1/predict/music-like']?.post;
      assert.ok(op, 'documented in the OpenAPI');
      assert.ok(JSON.stringify(op.requestBody).includes('previous_track_id'), 'with the body schema of its zod definition');
      // the simulated users' client asks the like model about every track it is shown
      sim = await simulateMusic({ world: WORLD, api: server.url, days: 1, background: false });
      assert.ok(sim.shown > 0 && sim.like_answers === sim.shown, `${sim.like_answers} like answers for ${sim.shown} tracks shown`);

      const models = await (await fetch(`${server.url}/v1/models`)).json() as any;
      assert.deepEqual(models.models.find((m: any) => m.name === 'music-like').serving.endpoints, ['POST /v1/predict/music-like']);
    } finally { await server.close(); }

    const ws = await openWorkspace({ config });
    try {
      const registry = new ModelRegistry(ws.store, { home });
      const model = LikeModel.fromJSON((await registry.loadModel('music-like', 'champion')).artifact as LikeArtifact);
      // the answer is the registered model's on the features of the same code, and those features are the warehouse's
      const X = model.features([{ user_id: user, track_id: track, hour_of_day: 20, prev_genre: null }]);
      assert.equal(model.probability(X)[0], served.probability);
      const col = (name: string) => X.data[LIKE_FEATURES.indexOf(name as never)];
      assert.equal(col('prior_plays'), heardPlays);
      assert.equal(col('track_skip_rate'), skipRate ?? -1);
      assert.equal(col('als_known'), 1);

      // the audit log holds what was served: the request and the feature rows the model saw
      await ws.wh.refresh();
      const audited = await ws.wh.query<{ request: string; inputs: string | null; version: number }>(
        `SELECT request, inputs, version::INT AS version FROM inference.requests WHERE model = 'music-like' AND status = 200 ORDER BY ts`);
      assert.equal(audited.length, 3 + sim!.requests);
      const inputs = JSON.parse(audited[0]!.inputs!) as { columns: string[]; rows: number[][] };
      assert.deepEqual(inputs.columns, [...LIKE_FEATURES]);
      assert.deepEqual(inputs.rows[0], Array.from(X.data));

      // monitoring compares what was served (the audit log's rows) with the training rows:
      // questions about tracks already played many times are not what the model was trained on
      const report = await runMonitor(ws, { models: ['music-like'] });
      const m = report.models[0]!;
      assert.equal(m.skipped, null);
      assert.equal(m.window.served_rows, 303 + sim!.like_answers);
      const prior = m.features.find((f) => f.feature === 'prior_plays')!;
      assert.equal(prior.n_cur, 303 + sim!.like_answers);
      assert.equal(prior.n_ref, (model.reference.X.rows));
      assert.equal(prior.verdict, 'critical', `prior_plays PSI ${prior.psi}`);
      assert.ok(m.alerts.some((a) => a.kind === 'data_drift' && a.subject === 'prior_plays'), 'the alert is recorded');
      assert.equal(m.prediction?.n_cur, 303 + sim!.like_answers, 'prediction drift on the served probabilities');

    } finally { await ws.close(); }
  } finally { cleanup(); }
});
