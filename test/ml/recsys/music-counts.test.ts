// ALS on the generated music world's play counts (issue 18): the counts are heavy-tailed across
// users, and the recommender's defaults on them are not the collapsed model of the old defaults
// (linear confidence, a fixed regularisation of 0.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { musicWorld } from '../../../src/events/generators/music.ts';
import { Interactions } from '../../../src/ml/recsys/interactions.ts';
import { evaluateModels, evaluateRanking, holdoutSplit, tune } from '../../../src/ml/recsys/evaluate.ts';
import { ImplicitAls } from '../../../src/ml/recsys/als.ts';
import { createRecommender } from '../../../src/ml/recsys/registry.ts';

/** Plays summed per (user, track), as `recommend evaluate` and the bench's count case take them. */
function playCounts(opts: { seed: number; users: number; tracks: number; days: number }): Interactions {
  const users: string[] = [], items: string[] = [], weights: number[] = [];
  for (const e of musicWorld(opts).events()) {
    if (e.type === 'play') { users.push(e.user_id); items.push(e.track_id); weights.push(1); }
  }
  return Interactions.fromTriples({ users, items, weights }, { duplicates: 'sum' });
}

const data = playCounts({ seed: 3, users: 150, tracks: 400, days: 30 });

test('the music world\'s play counts are heavy-tailed: the heaviest user plays 10x+ the median user, pairs repeat', () => {
  const perUser: number[] = [];
  for (let u = 0; u < data.nUsers; u++) perUser.push(data.row(u).data.reduce((s, v) => s + v, 0));
  perUser.sort((a, b) => a - b);
  const median = perUser[perUser.length >> 1]!, max = perUser.at(-1)!;
  assert.ok(max >= 10 * median, `heaviest user ${max} plays, median ${median}`);
  let maxPair = 0;
  for (const v of data.byUser.data) maxPair = Math.max(maxPair, v);
  assert.ok(maxPair >= 50, `most plays of one track by one user: ${maxPair}`);
});

test('default ALS on play counts: log confidence, data-relative regularisation, within 5% of the best other model', async () => {
  const { train, truth } = holdoutSplit(data, { seed: 1 });
  const score = async (kind: Parameters<typeof createRecommender>[0], params: Record<string, unknown>) =>
    evaluateRanking(await createRecommender(kind, params).fit(train), train, truth).ndcg10;
  const als = await new ImplicitAls({ factors: 16, threads: 1 }).fit(train);
  assert.equal(als.state!.confidence, 'log');
  assert.ok(Math.abs(als.state!.regularization - 0.2 * train.nnz / train.nUsers) < 1e-9, String(als.state!.regularization));
  const ours = evaluateRanking(als, train, truth).ndcg10;
  // the old defaults: linear confidence and a fixed 0.1, whatever the data
  const collapsed = await score('als', { factors: 16, threads: 1, confidence: 'linear', regularization: 0.1 });
  const others = {
    popularity: await score('popularity', {}),
    'item-knn bm25': await score('item-knn', { binary: false, weighting: 'bm25' }),
    ease: await score('ease', {}),
  };
  const best = Math.max(...Object.values(others));
  const said = `ALS ${ours.toFixed(4)}, old defaults ${collapsed.toFixed(4)}, ${JSON.stringify(others)}`;
  assert.ok(ours >= 0.95 * best, said);
  assert.ok(ours > 1.1 * collapsed, said);
});

test('ALS regularisation: "auto" scales with interactions per user, is kept in the model, and bad values are refused', async () => {
  const m = await new ImplicitAls({ factors: 4, iterations: 2, threads: 1, regularizationScale: 0.5 }).fit(data);
  const expected = 0.5 * data.nnz / data.nUsers;
  assert.ok(Math.abs(m.state!.regularization - expected) < 1e-9);
  const back = ImplicitAls.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  assert.equal(back.params.regularization, 'auto');
  assert.ok(Math.abs(back.state!.regularization - expected) < 1e-9);
  const fixed = await new ImplicitAls({ factors: 4, iterations: 1, threads: 1, regularization: 3 }).fit(data);
  assert.equal(fixed.state!.regularization, 3);
  assert.throws(() => new ImplicitAls({ regularization: 'big' as never }), /"regularization" must be a number >= 0 or "auto"/);
  assert.throws(() => new ImplicitAls({ regularization: -1 }), /"regularization"/);
  assert.throws(() => new ImplicitAls({ regularizationScale: -1 }), /"regularizationScale"/);
});

test('tune: refinement stages are built from the best point so far, on the training data\'s holdout only', async () => {
  const grid = [{ factors: 4, iterations: 3, threads: 1, regularizationScale: 0.2 }, { factors: 4, iterations: 3, threads: 1, regularizationScale: 50 }];
  const seen: Array<Record<string, unknown>> = [];
  const r = await tune('als', data, {
    grid,
    refine: [
      [(b) => { seen.push(b); return { regularizationScale: Number(b.regularizationScale) * 2 }; }],
      [(b) => { seen.push(b); return { factors: 8 }; }],
    ],
  });
  assert.equal(r.trials.length, 4);
  const firstBest = r.trials.slice(0, 2).reduce((a, b) => (b.ndcg10 > a.ndcg10 ? b : a));
  assert.deepEqual(seen[0], firstBest.params, 'stage 1 starts from the grid\'s best');
  assert.equal(r.trials[2]!.params.regularizationScale, Number(firstBest.params.regularizationScale) * 2);
  const afterStage1 = r.trials.slice(0, 3).reduce((a, b) => (b.ndcg10 > a.ndcg10 ? b : a));
  assert.deepEqual(seen[1], afterStage1.params, 'stage 2 starts from the best after stage 1');
  assert.equal(r.trials[3]!.params.factors, 8);
  const best = r.trials.reduce((a, b) => (b.ndcg10 > a.ndcg10 ? b : a));
  assert.deepEqual(r.best, best.params);
});

test('evaluate --tune chooses on the training data only: other test rows, the same choice and trials', async () => {
  const rows = { users: [] as string[], items: [] as string[], weights: [] as number[] };
  for (let u = 0; u < data.nUsers; u++) {
    const r = data.row(u);
    for (let k = 0; k < r.indices.length; k++) {
      rows.users.push(data.userIds[u]!); rows.items.push(data.itemIds[r.indices[k]!]!); rows.weights.push(r.data[k]!);
    }
  }
  // train: every fourth row left out; two different test sets drawn from what was left out
  const pick = (keep: (r: number) => boolean) => {
    const out = { users: [] as string[], items: [] as string[], weights: [] as number[] };
    rows.users.forEach((u, r) => { if (keep(r)) { out.users.push(u); out.items.push(rows.items[r]!); out.weights.push(rows.weights[r]!); } });
    return out;
  };
  const train = pick((r) => r % 4 !== 0);
  const a = await evaluateModels(train, pick((r) => r % 8 === 0), { models: ['item-knn'], tune: true, seed: 2 });
  const b = await evaluateModels(train, pick((r) => r % 8 === 4), { models: ['item-knn'], tune: true, seed: 2 });
  assert.deepEqual(a[0]!.params, b[0]!.params);
  assert.deepEqual(a[0]!.tuning!.map((t) => [t.params, t.ndcg10]), b[0]!.tuning!.map((t) => [t.params, t.ndcg10]));
  assert.notEqual(a[0]!.ndcg10, b[0]!.ndcg10, 'the test sets differ, and so do their scores');
});
