// Thread-count invariance of histogram boosting on the paths the small tests do not reach:
// nodes large enough for the two-accumulator histogram build, a first row block of odd length
// (the even/odd row alternation then crosses the block boundary), the root's cached counts,
// and the default thread mode that times trees and picks serial or parallel per tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GradientBoostingClassifier, GradientBoostingRegressor } from '../../../src/ml/tree/index.ts';
import { mixedX, rmse } from './helpers.ts';
import { Rng } from '../../../src/ml/core/rng.ts';
import { buildBinnedData } from '../../../src/ml/tree/dataset.ts';
import { groupRows, rowMerging } from '../../../src/ml/tree/row-groups.ts';

const n = 5001;
const { X, cat } = mixedX(n, 11);
const y = Float64Array.from({ length: n }, (_, i) => 3 * Math.sin(4 * X.data[i * 7]!) + X.data[i * 7 + 1]! ** 2 + [0, 2, -1, 4][cat[i]!]!);

test('regression: 1 thread, 2 threads and the default mode give the same model', () => {
  const p = { nEstimators: 12, maxDepth: 5, seed: 2 };
  const one = new GradientBoostingRegressor({ ...p, nJobs: 1 }).fit(X, y);
  const two = new GradientBoostingRegressor({ ...p, nJobs: 2 }).fit(X, y);
  assert.equal(two.parallelTrees, 12);
  assert.equal(JSON.stringify(two.toJSON().state), JSON.stringify(one.toJSON().state));
  // enough rows x rounds for the default mode to start its worker
  const q = { nEstimators: 400, maxDepth: 3, seed: 2 };
  const serial = new GradientBoostingRegressor({ ...q, nJobs: 1 }).fit(X, y);
  const auto = new GradientBoostingRegressor(q).fit(X, y);
  assert.deepEqual(auto.predict(X), serial.predict(X));
  const sd = Math.sqrt(y.reduce((s, v) => s + v * v, 0) / n - (y.reduce((s, v) => s + v, 0) / n) ** 2);
  assert.ok(rmse(serial.predict(X), y) < 0.1 * sd, 'fits the training function (rmse under a tenth of the target spread)');
});

test('binary classification (hessians, row subsampling): 1 and 2 threads agree', () => {
  const yc = Float64Array.from(y, (v) => (v > 1 ? 1 : 0));
  for (const subsample of [1, 0.7]) {
    const p = { nEstimators: 8, maxDepth: 4, subsample, seed: 5 };
    const one = new GradientBoostingClassifier({ ...p, nJobs: 1 }).fit(X, yc);
    const two = new GradientBoostingClassifier({ ...p, nJobs: 2 }).fit(X, yc);
    assert.deepEqual(two.predictProba(X), one.predictProba(X));
  }
});

test('squared loss on rows with many duplicates: identical rows boosted as one give the row-by-row model (to rounding), on 1 and 2 threads', () => {
  // 6,000 rows over 6 x 5 x 4 distinct feature values (most rows repeat); noisy integer targets
  const rng = new Rng(4), m = 6000;
  const data = new Float64Array(m * 3), yd = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const a = rng.int(6), b = rng.int(5), c = rng.int(4);
    data.set([a, b * 0.5, c], i * 3);
    yd[i] = a * 3 + (b % 2) * 7 - c + rng.int(5);
  }
  const Xd = { rows: m, cols: 3, data };
  assert.ok(groupRows(buildBinnedData(Xd), null), 'the rows are merged');
  const p = { nEstimators: 40, maxDepth: 4, learningRate: 0.3, seed: 1 };
  const merged = new GradientBoostingRegressor({ ...p, nJobs: 1 }).fit(Xd, yd);
  const two = new GradientBoostingRegressor({ ...p, nJobs: 2 }).fit(Xd, yd);
  assert.equal(JSON.stringify(two.toJSON().state), JSON.stringify(merged.toJSON().state), 'threads agree on merged rows');
  rowMerging.enabled = false;
  let single: GradientBoostingRegressor;
  try { single = new GradientBoostingRegressor({ ...p, nJobs: 1 }).fit(Xd, yd); } finally { rowMerging.enabled = true; }
  const a = merged.ensemble.trees, b = single.ensemble.trees;
  assert.equal(a.length, b.length);
  for (let t = 0; t < a.length; t++) {
    assert.deepEqual(Array.from(a[t]!.feature), Array.from(b[t]!.feature), `tree ${t}: same splits`);
    assert.deepEqual(Array.from(a[t]!.threshold), Array.from(b[t]!.threshold), `tree ${t}: same thresholds`);
    for (let k = 0; k < a[t]!.value.length; k++) assert.ok(Math.abs(a[t]!.value[k]! - b[t]!.value[k]!) < 1e-9, `tree ${t} leaf ${k}`);
  }
});
