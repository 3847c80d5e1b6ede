import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interactions } from '../../../src/ml/recsys/interactions.ts';
import { resolveWeighting, weightValues } from '../../../src/ml/recsys/weighting.ts';
import { ImplicitAls } from '../../../src/ml/recsys/als.ts';
import { ItemKnn } from '../../../src/ml/recsys/item-knn.ts';

const counts = Interactions.fromTriples({
  users: ['a', 'a', 'b', 'b', 'c', 'c', 'c'], items: ['x', 'y', 'x', 'z', 'x', 'y', 'z'], weights: [1, 300000, 2, 5, 40, 1, 9],
});

test('log, bm25 and tfidf weightings follow their formulas, aligned with both orientations', () => {
  const log = weightValues(counts, 'user', 'log', { epsilon: 2, bm25K1: 100, bm25B: 0.8 });
  assert.ok(Math.abs(log[1]! - Math.log1p(300000 / 2)) < 1e-3);
  // bm25 of (a, y): idf_y = log(3) - log1p(2); a's row sum 300001, mean row sum (300001 + 7 + 50) / 3
  const bm = weightValues(counts, 'user', 'bm25');
  const mean = (300001 + 7 + 50) / 3, norm = 0.2 + 0.8 * 300001 / mean;
  const expect = (300000 * 101) / (100 * norm + 300000) * Math.max(0, Math.log(3) - Math.log1p(2));
  assert.ok(Math.abs(bm[1]! - expect) < 1e-4 * Math.max(1, expect));
  // the item orientation carries the same values for the same pairs
  const byItem = weightValues(counts, 'item', 'tfidf'), byUser = weightValues(counts, 'user', 'tfidf');
  const u = counts.userIndex.get('c')!, i = counts.itemIndex.get('z')!;
  const inUser = byUser[[...counts.byUser.indices.subarray(counts.byUser.indptr[u]!, counts.byUser.indptr[u + 1]!)].indexOf(i) + counts.byUser.indptr[u]!]!;
  const inItem = byItem[[...counts.byItem.indices.subarray(counts.byItem.indptr[i]!, counts.byItem.indptr[i + 1]!)].indexOf(u) + counts.byItem.indptr[i]!]!;
  assert.equal(inUser, inItem);
});

test('ALS\'s default confidence is log on count data and linear on 0/1 data (never the collapsed linear one on counts)', async () => {
  assert.equal(resolveWeighting('auto', counts), 'log');
  const binary = Interactions.fromTriples({ users: ['a', 'b'], items: ['x', 'y'] });
  assert.equal(resolveWeighting('auto', binary), 'linear');
  const m = await new ImplicitAls({ factors: 4, iterations: 2, threads: 1 }).fit(counts);
  const j = m.toJSON();
  assert.equal((j.state as { confidence: string }).confidence, 'log');
  assert.equal((ImplicitAls.fromJSON(JSON.parse(JSON.stringify(j))).state as { confidence: string }).confidence, 'log');
  assert.throws(() => new ImplicitAls({ confidence: 'quadratic' as never }), /"confidence" must be one of/);
});

test('item-kNN with BM25 weighting fits and scores', async () => {
  const m = await new ItemKnn({ k: 2, binary: false, weighting: 'bm25' }).fit(counts);
  const s = m.scoreUsers(Int32Array.of(0));
  assert.equal(s.length, 3);
  assert.ok(Array.from(s).every(Number.isFinite));
});
