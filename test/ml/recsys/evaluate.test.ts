import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interactions } from '../../../src/ml/recsys/interactions.ts';
import { buildTruth, evaluateModels, evaluateRanking, holdoutSplit, sampleUsers, tune } from '../../../src/ml/recsys/evaluate.ts';
import { Popularity } from '../../../src/ml/recsys/popularity.ts';
import { Ease } from '../../../src/ml/recsys/ease.ts';
import type { Recommender } from '../../../src/ml/recsys/recommender.ts';

test('buildTruth: test rows map into the training index; unknown items count in |test|, skips do not', () => {
  const train = Interactions.fromTriples({ users: ['a', 'a', 'b'], items: ['x', 'y', 'x'] });
  const truth = buildTruth(train, { users: ['a', 'a', 'c', 'b', 'b'], items: ['z', 'new', 'x', 'y', 'q'], weights: [1, 1, 1, 2, -1] });
  assert.deepEqual(truth.userIds, ['a', 'c', 'b']);
  assert.deepEqual([...truth.userIndex], [0, -1, 1]);
  assert.equal(truth.truth[0]!.size, 2);      // z and new, neither known to training
  assert.equal(truth.truth[0]!.known.size, 0);
  assert.deepEqual([...truth.truth[2]!.known], [1]); // b: y only (q has weight -1)
});

test('evaluateRanking: popularity on a hand-built split gives the hand-computed NDCG', async () => {
  // counts: x 3, y 2, z 1, w 0... user d has seen x, so its list is y, z; its test item is z
  const train = Interactions.fromTriples({
    users: ['a', 'a', 'b', 'b', 'c', 'd', 'e'], items: ['x', 'y', 'x', 'y', 'x', 'z', 'w'],
  });
  const m = await new Popularity().fit(train);
  const truth = buildTruth(train, { users: ['d', 'c'], items: ['y', 'z'] });
  const r = evaluateRanking(m, train, truth);
  // d (seen z): ranking x, y, ... -> y at rank 2: 1/log2(3). c (seen x): y, z, w -> z at rank 2: 1/log2(3)
  assert.ok(Math.abs(r.ndcg10 - 1 / Math.log2(3)) < 1e-12, String(r.ndcg10));
  assert.equal(r.recall20, 1);
  assert.equal(r.users, 2);
  assert.equal(r.coldUsers, 0);
});

test('evaluateRanking never lets a model recommend a training item, even if it scores them highest', async () => {
  const train = Interactions.fromTriples({ users: ['a', 'a', 'b'], items: ['x', 'y', 'z'] });
  // a model that scores training items highest: the evaluator must mask them
  const cheat: Recommender = {
    kind: 'cheat', params: {}, data: train, fit: async function () { return this; }, getParams: () => ({}), setParams() { return this; },
    scoreUsers: (users) => {
      const out = new Float32Array(users.length * train.nItems);
      users.forEach((u, b) => { for (const i of train.row(u).indices) out[b * train.nItems + i] = 100; });
      return out;
    },
    recommend: () => [], toJSON: () => { throw new Error('no'); },
  };
  const truth = buildTruth(train, { users: ['a'], items: ['x'] }); // a test item that is also in training
  const r = evaluateRanking(cheat, train, truth);
  assert.equal(r.ndcg10, 0);
});

test('holdoutSplit: per-user, disjoint, same ids, fraction respected', () => {
  const users: string[] = [], items: string[] = [];
  for (let u = 0; u < 30; u++) for (let i = 0; i <= u % 10; i++) { users.push(`u${u}`); items.push(`i${(u + i * 7) % 50}`); }
  const data = Interactions.fromTriples({ users, items });
  const { train, truth } = holdoutSplit(data, { fraction: 0.2, seed: 1 });
  assert.deepEqual(train.userIds, data.userIds);
  assert.deepEqual(train.itemIds, data.itemIds);
  for (let k = 0; k < truth.userIds.length; k++) {
    const u = truth.userIndex[k]!, n = data.row(u).indices.length;
    assert.equal(truth.truth[k]!.size, Math.max(1, Math.floor(n * 0.2)));
    const kept = new Set(train.row(u).indices);
    for (const i of truth.truth[k]!.known) assert.ok(!kept.has(i), 'held-out item still in train');
    assert.equal(kept.size + truth.truth[k]!.size, n);
  }
  // users with a single interaction are never held out
  assert.ok(!truth.userIds.includes('u0'));
  assert.throws(() => holdoutSplit(data, { fraction: 1 }), /fraction/);
});

test('tune picks the grid point with the best validation NDCG; evaluateModels reports every model', async () => {
  const users: string[] = [], items: string[] = [];
  for (let u = 0; u < 60; u++) for (let i = 0; i < 8; i++) { users.push(`u${u}`); items.push(`i${(u % 3) * 10 + ((u + i) % 10)}`); }
  const data = Interactions.fromTriples({ users, items });
  const r = await tune('item-knn', data, { grid: [{ k: 1 }, { k: 9 }] });
  assert.equal(r.trials.length, 2);
  const best = r.trials.reduce((a, b) => (b.ndcg10 > a.ndcg10 ? b : a));
  assert.deepEqual(r.best, best.params);
  const rows = await evaluateModels({ users, items }, { users: ['u1', 'u2'], items: ['i0', 'i25'] }, { models: ['popularity', 'item-knn'] });
  assert.deepEqual(rows.map((x) => x.model), ['popularity', 'item-knn']);
  for (const row of rows) assert.ok(row.fit_s >= 0 && row.ndcg10 >= 0 && row.ndcg10 <= 1 && row.users === 2);
});

test('sampleUsers: a seeded sample of whole users in the same item space; the data itself when it is small', () => {
  const users: string[] = [], items: string[] = [], weights: number[] = [];
  for (let u = 0; u < 50; u++) {
    for (let i = 0; i <= u % 7; i++) { users.push(`u${u}`); items.push(`i${(u * 3 + i * 5) % 40}`); weights.push(1 + ((u + i) % 4)); }
  }
  const data = Interactions.fromTriples({ users, items, weights });
  assert.equal(sampleUsers(data, 50), data);
  const s = sampleUsers(data, 12, 3);
  assert.equal(s.nUsers, 12);
  assert.deepEqual(s.itemIds, data.itemIds);
  assert.equal(new Set(s.userIds).size, 12);
  for (const id of s.userIds) {
    const a = s.row(s.userIndex.get(id)!), b = data.row(data.userIndex.get(id)!);
    assert.deepEqual([...a.indices], [...b.indices]);
    assert.deepEqual([...a.data], [...b.data]);
  }
  assert.deepEqual(sampleUsers(data, 12, 3).userIds, s.userIds, 'same seed, same sample');
  assert.notDeepEqual(sampleUsers(data, 12, 4).userIds, s.userIds);
  assert.throws(() => sampleUsers(data, 0), /maxUsers/);
});

test('tune with maxUsers: the grid runs on the seeded sample, and EASE\'s lambda is carried to the full data by the users ratio', async () => {
  const users: string[] = [], items: string[] = [];
  for (let u = 0; u < 120; u++) for (let i = 0; i < 8; i++) { users.push(`u${u}`); items.push(`i${(u % 3) * 10 + ((u * 7 + i) % 10)}`); }
  const data = Interactions.fromTriples({ users, items });
  const grid = [{ lambda: 1 }, { lambda: 30 }, { lambda: 300 }];
  const sampled = await tune('ease', data, { grid, maxUsers: 40, seed: 5 });
  const onSample = await tune('ease', sampleUsers(data, 40, 5), { grid, seed: 5 });
  assert.deepEqual(sampled.trials.map((t) => t.ndcg10), onSample.trials.map((t) => t.ndcg10));
  assert.deepEqual(sampled.sample, { users: 40, of: 120 });
  assert.equal(sampled.best.lambda, Number(onSample.best.lambda) * 3);
  assert.equal((await tune('ease', data, { grid, maxUsers: 500 })).sample, undefined);
});

test('EASE is unchanged when the users and lambda scale together (why a lambda tuned on a sample is scaled up)', async () => {
  const users: string[] = [], items: string[] = [];
  for (let u = 0; u < 30; u++) for (let i = 0; i < 5; i++) { users.push(`u${u}`); items.push(`i${(u * 3 + i * 4) % 17}`); }
  const one = Interactions.fromTriples({ users, items });
  // every user twice: the Gram X^T X doubles
  const two = Interactions.fromTriples({ users: [...users, ...users.map((u) => `${u}b`)], items: [...items, ...items] }, { itemIds: one.itemIds });
  const a = await new Ease({ lambda: 7, threads: 1 }).fit(one), b = await new Ease({ lambda: 14, threads: 1 }).fit(two);
  const sa = a.scoreUsers(Int32Array.from({ length: 30 }, (_, k) => k)), sb = b.scoreUsers(Int32Array.from({ length: 30 }, (_, k) => k));
  for (let k = 0; k < sa.length; k++) assert.ok(Math.abs(sa[k]! - sb[k]!) < 1e-4, `score ${k}: ${sa[k]} vs ${sb[k]}`);
});
