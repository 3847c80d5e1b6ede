import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GradientBoostingClassifier, GradientBoostingRegressor } from '../../../src/ml/tree/index.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from '../../../src/ml/core/errors.ts';
import { Rng } from '../../../src/ml/core/rng.ts';
import { row } from '../../../src/ml/core/matrix.ts';
import { accuracy, bandClasses, mixedX, rmse, stepTarget, uniformX, gridX } from './helpers.ts';

test('boosting converges to a step function (residual shrinks like (1 - lr)^rounds)', () => {
  const X = gridX(500, 2, 1);
  const y = stepTarget(X);
  const m = new GradientBoostingRegressor({ nEstimators: 200, learningRate: 0.3, lambda: 0, maxDepth: 2 }).fit(X, y);
  assert.ok(rmse(m.predict(X), y) < 1e-6);
});

test('boosting learns a nonlinear function with numeric and one-hot columns', () => {
  const { X, cat } = mixedX(4000, 2);
  const y = Float64Array.from({ length: 4000 }, (_, i) => 5 * Math.sin(4 * X.data[i * 7]!) + X.data[i * 7 + 1]! ** 2 + [0, 3, -2, 6][cat[i]!]!);
  const tr = { rows: 3000, cols: 7, data: X.data.subarray(0, 3000 * 7) };
  const te = { rows: 1000, cols: 7, data: X.data.subarray(3000 * 7) };
  const m = new GradientBoostingRegressor({ nEstimators: 300, maxDepth: 4 }).fit(tr, y.subarray(0, 3000));
  assert.ok(rmse(m.predict(te), y.subarray(3000)) < 0.25);
});

test('binary and multiclass boosting separate separable classes (accuracy 1)', () => {
  const X = uniformX(600, 3, 3);
  const y2 = bandClasses(X, 2), y4 = bandClasses(X, 4);
  const b = new GradientBoostingClassifier({ nEstimators: 30 }).fit(X, y2);
  assert.equal(accuracy(b.predict(X), y2), 1);
  const P = b.predictProba(X);
  assert.equal(P.cols, 2);
  for (let i = 0; i < X.rows; i++) assert.ok(P.data[i * 2 + y2[i]!]! > 0.5);
  const m = new GradientBoostingClassifier({ nEstimators: 30 }).fit(X, y4);
  assert.equal(accuracy(m.predict(X), y4), 1);
  assert.equal(m.ensemble.postTransform, 'softmax');
  assert.equal(m.ensemble.trees.length, 30 * 4);
});

test('early stopping stops when the validation loss stops improving, and keeps the best rounds', () => {
  const rng = new Rng(9);
  const X = uniformX(2000, 3, 4);
  // a simple signal plus heavy noise: the validation loss bottoms out early
  const y = Float64Array.from({ length: 2000 }, (_, i) => (X.data[i * 3]! > 0.5 ? 1 : 0) + 2 * rng.normal());
  const m = new GradientBoostingRegressor({ nEstimators: 500, nIterNoChange: 10, validationFraction: 0.2, maxDepth: 6 }).fit(X, y);
  assert.ok(m.nIter < 100, `stopped after ${m.nIter} rounds`);
  assert.equal(m.ensemble.trees.length, m.nIter);
  const best = Math.min(...m.validationLoss);
  assert.equal(m.validationLoss[m.nIter - 1], best);
  assert.ok(m.validationLoss.length <= m.nIter + 10);
  const off = new GradientBoostingRegressor({ nEstimators: 50 }).fit(X, y);
  assert.equal(off.nIter, 50);
});

test('deterministic for a seed, including subsampling and column sampling', () => {
  const { X } = mixedX(1500, 5);
  const y = Float64Array.from({ length: X.rows }, (_, i) => X.data[i * 7]! * 3 + X.data[i * 7 + 1]!);
  const p = { nEstimators: 40, subsample: 0.7, colsample: 0.6, seed: 4 };
  const a = new GradientBoostingRegressor(p).fit(X, y).predict(X);
  const b = new GradientBoostingRegressor(p).fit(X, y).predict(X);
  const c = new GradientBoostingRegressor({ ...p, seed: 5 }).fit(X, y).predict(X);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('maxLeaves grows leaf-wise trees with at most that many leaves', () => {
  const X = uniformX(1000, 3, 6);
  const y = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(8 * X.data[i * 3]!) + X.data[i * 3 + 1]!);
  const m = new GradientBoostingRegressor({ nEstimators: 10, maxDepth: 0, maxLeaves: 5 }).fit(X, y);
  for (const t of m.ensemble.trees) assert.ok(Array.from(t.feature).filter((f) => f < 0).length <= 5);
  assert.ok(m.ensemble.trees.some((t) => Array.from(t.feature).filter((f) => f < 0).length === 5));
});

test('JSON round trip and predictRow give identical predictions', () => {
  const { X } = mixedX(700, 7);
  const y = Float64Array.from({ length: X.rows }, (_, i) => X.data[i * 7 + 2]! - X.data[i * 7]!);
  const m = new GradientBoostingRegressor({ nEstimators: 20 }).fit(X, y);
  const back = GradientBoostingRegressor.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  assert.deepEqual(back.predict(X), m.predict(X));
  const p = m.predict(X);
  for (let i = 0; i < X.rows; i++) assert.ok(Math.abs(m.predictRow(row(X, i)) - p[i]!) < 1e-9);
  const yc = bandClasses(X, 3);
  const c = new GradientBoostingClassifier({ nEstimators: 10 }).fit(X, yc);
  const cb = GradientBoostingClassifier.fromJSON(JSON.parse(JSON.stringify(c.toJSON())));
  assert.deepEqual(cb.predictProba(X), c.predictProba(X));
  assert.equal(cb.nIter, 10);
});

test('clear errors', () => {
  assert.throws(() => new GradientBoostingRegressor({ rounds: 3 } as never), InvalidParameterError);
  assert.throws(() => new GradientBoostingRegressor({ learningRate: 0 }), /learningRate/);
  assert.throws(() => new GradientBoostingRegressor({ subsample: 1.5 }), /subsample/);
  assert.throws(() => new GradientBoostingRegressor({ learningRate: '0.1' as never }), /learningRate/);
  assert.throws(() => new GradientBoostingRegressor().predict(uniformX(1, 1, 1)), NotFittedError);
  const X = uniformX(30, 2, 1);
  assert.throws(() => new GradientBoostingClassifier().fit(X, new Float64Array(30)), /single class/);
  const bad = { ...X, data: X.data.slice() };
  bad.data[0] = Infinity;
  assert.throws(() => new GradientBoostingRegressor().fit(bad, stepTarget(X)), InvalidInputError);
});

test('the boosting worker thread gives exactly the single-thread model', () => {
  const { X, cat } = mixedX(3000, 8);
  const y = Float64Array.from({ length: 3000 }, (_, i) => Math.sin(5 * X.data[i * 7]!) + cat[i]! + X.data[i * 7 + 1]!);
  const one = new GradientBoostingRegressor({ nEstimators: 15, nJobs: 1, seed: 3 }).fit(X, y);
  const two = new GradientBoostingRegressor({ nEstimators: 15, nJobs: 2, seed: 3 }).fit(X, y);
  assert.equal(two.parallelTrees, 15, 'every tree used the worker');
  assert.equal(one.parallelTrees, 0);
  assert.equal(JSON.stringify(two.toJSON().state), JSON.stringify(one.toJSON().state));
  const yc = bandClasses(X, 3);
  const c1 = new GradientBoostingClassifier({ nEstimators: 5, nJobs: 1, subsample: 0.8 }).fit(X, yc);
  const c2 = new GradientBoostingClassifier({ nEstimators: 5, nJobs: 2, subsample: 0.8 }).fit(X, yc);
  assert.deepEqual(c2.predictProba(X), c1.predictProba(X));
});
