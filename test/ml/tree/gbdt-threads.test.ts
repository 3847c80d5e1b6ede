// Thread-count invariance of histogram boosting on the paths the small tests do not reach:
// nodes large enough for the two-accumulator histogram build, a first row block of odd length
// (the even/odd row alternation then crosses the block boundary), the root's cached counts,
// and the default thread mode that times trees and picks serial or parallel per tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GradientBoostingClassifier, GradientBoostingRegressor } from '../../../src/ml/tree/index.ts';
import { mixedX, rmse } from './helpers.ts';

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
