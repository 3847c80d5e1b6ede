import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomForestClassifier, RandomForestRegressor } from '../../../src/ml/tree/index.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from '../../../src/ml/core/errors.ts';
import { row } from '../../../src/ml/core/matrix.ts';
import { accuracy, bandClasses, mixedX, rmse, stepTarget, uniformX } from './helpers.ts';
import { Rng } from '../../../src/ml/core/rng.ts';
import { buildBinnedData } from '../../../src/ml/tree/dataset.ts';
import { groupRows } from '../../../src/ml/tree/row-groups.ts';
import { growForestSync } from '../../../src/ml/tree/parallel.ts';
import { treeToJSON } from '../../../src/ml/tree/flat.ts';
import type { ForestJob } from '../../../src/ml/tree/forest.ts';

test('a forest on a step function predicts the steps away from the boundaries', () => {
  const X = uniformX(1000, 2, 1);
  const y = stepTarget(X);
  const m = new RandomForestRegressor({ nEstimators: 20, nJobs: 1, seed: 3 }).fit(X, y);
  const probe = { rows: 3, cols: 2, data: Float64Array.of(0.1, 0.5, 0.5, 0.5, 0.9, 0.5) };
  assert.deepEqual(Array.from(m.predict(probe)), [10, 20, 35]);
});

test('a forest learns a nonlinear function with numeric and one-hot columns', () => {
  const { X, cat } = mixedX(3000, 2);
  const f = (i: number) => 5 * Math.sin(4 * X.data[i * 7]!) + X.data[i * 7 + 1]! ** 2 + [0, 3, -2, 6][cat[i]!]!;
  const y = Float64Array.from({ length: 3000 }, (_, i) => f(i));
  const tr = { rows: 2500, cols: 7, data: X.data.subarray(0, 2500 * 7) };
  const te = { rows: 500, cols: 7, data: X.data.subarray(2500 * 7) };
  const m = new RandomForestRegressor({ nEstimators: 30, nJobs: 1 }).fit(tr, y.subarray(0, 2500));
  const sd = Math.sqrt(y.reduce((a, v) => a + v * v, 0) / y.length - (y.reduce((a, v) => a + v, 0) / y.length) ** 2);
  assert.ok(rmse(m.predict(te), y.subarray(2500)) < 0.2 * sd, 'explains more than 96% of the variance');
});

test('a forest classifier reaches accuracy 1 on separable classes; probabilities sum to 1', () => {
  const X = uniformX(800, 4, 2);
  const y = bandClasses(X, 3);
  const m = new RandomForestClassifier({ nEstimators: 25, nJobs: 1, maxFeatures: 1 }).fit(X, y);
  assert.equal(accuracy(m.predict(X), y), 1);
  const P = m.predictProba(X);
  for (let i = 0; i < X.rows; i++) assert.ok(Math.abs(P.data[i * 3]! + P.data[i * 3 + 1]! + P.data[i * 3 + 2]! - 1) < 1e-12);
});

test('the same seed gives the same forest; another seed another one', () => {
  const { X } = mixedX(1500, 3);
  const y = Float64Array.from({ length: X.rows }, (_, i) => X.data[i * 7]! * 3 + X.data[i * 7 + 1]!);
  const a = new RandomForestRegressor({ nEstimators: 8, nJobs: 1, seed: 11, maxFeatures: 'sqrt' }).fit(X, y).predict(X);
  const b = new RandomForestRegressor({ nEstimators: 8, nJobs: 1, seed: 11, maxFeatures: 'sqrt' }).fit(X, y).predict(X);
  const c = new RandomForestRegressor({ nEstimators: 8, nJobs: 1, seed: 12, maxFeatures: 'sqrt' }).fit(X, y).predict(X);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('worker threads grow exactly the trees a single thread grows for the same seed', () => {
  const { X } = mixedX(2000, 4);
  const y = Float64Array.from({ length: X.rows }, (_, i) => Math.cos(3 * X.data[i * 7]!) + X.data[i * 7 + 2]!);
  const one = new RandomForestRegressor({ nEstimators: 6, nJobs: 1, seed: 5 }).fit(X, y);
  const two = new RandomForestRegressor({ nEstimators: 6, nJobs: 2, seed: 5 }).fit(X, y);
  assert.deepEqual(JSON.stringify(one.toJSON().state), JSON.stringify(two.toJSON().state));
  const yc = bandClasses(X, 3);
  const c1 = new RandomForestClassifier({ nEstimators: 5, nJobs: 1, seed: 2 }).fit(X, yc);
  const c2 = new RandomForestClassifier({ nEstimators: 5, nJobs: 2, seed: 2 }).fit(X, yc);
  assert.deepEqual(c1.predictProba(X), c2.predictProba(X));
});

test('toJSON / fromJSON round-trips to identical predictions (also through a JSON string)', () => {
  const { X } = mixedX(800, 6);
  const y = Float64Array.from({ length: X.rows }, (_, i) => X.data[i * 7]! + X.data[i * 7 + 4]!);
  const m = new RandomForestRegressor({ nEstimators: 5, nJobs: 1 }).fit(X, y);
  const back = RandomForestRegressor.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
  assert.deepEqual(back.predict(X), m.predict(X));
  assert.deepEqual(back.params, m.params);
  const yc = bandClasses(X, 3);
  const c = new RandomForestClassifier({ nEstimators: 5, nJobs: 1 }).fit(X, yc);
  const cb = RandomForestClassifier.fromJSON(JSON.parse(JSON.stringify(c.toJSON())));
  assert.deepEqual(cb.predictProba(X), c.predictProba(X));
  assert.throws(() => RandomForestClassifier.fromJSON(m.toJSON() as never), InvalidInputError);
});

test('predictRow equals predict, for regressors and classifiers', () => {
  const { X } = mixedX(600, 7);
  const y = Float64Array.from({ length: X.rows }, (_, i) => X.data[i * 7 + 1]! * 2);
  const m = new RandomForestRegressor({ nEstimators: 10, nJobs: 1 }).fit(X, y);
  const p = m.predict(X);
  for (let i = 0; i < X.rows; i++) assert.equal(m.predictRow(row(X, i)), p[i]);
  const yc = bandClasses(X, 3);
  const c = new RandomForestClassifier({ nEstimators: 10, nJobs: 1 }).fit(X, yc);
  const pc = c.predict(X), P = c.predictProba(X);
  for (let i = 0; i < X.rows; i++) {
    assert.equal(c.predictRow(row(X, i)), pc[i]);
    assert.deepEqual(Array.from(c.predictProbaRow(row(X, i))), Array.from(P.data.subarray(i * 3, i * 3 + 3)));
  }
});

test('clear errors: unknown or bad parameter, NaN, shape mismatch, predict before fit', () => {
  assert.throws(() => new RandomForestRegressor({ nTrees: 3 } as never), (e: Error) => e instanceof InvalidParameterError && /nTrees/.test(e.message));
  assert.throws(() => new RandomForestRegressor({ nEstimators: 0 }), /nEstimators/);
  assert.throws(() => new RandomForestRegressor({ maxFeatures: 'half' as never }), /maxFeatures/);
  assert.throws(() => new RandomForestRegressor().predict(uniformX(2, 2, 1)), NotFittedError);
  const X = uniformX(50, 2, 1);
  const y = stepTarget(X);
  assert.throws(() => new RandomForestRegressor({ nJobs: 1 }).fit(X, y.subarray(0, 40)), /y has 40 values but X has 50 rows/);
  const bad = { ...X, data: X.data.slice() };
  bad.data[7] = NaN;
  assert.throws(() => new RandomForestRegressor({ nJobs: 1 }).fit(bad, y), /X\[3\]\[1\] is NaN/);
  const m = new RandomForestRegressor({ nEstimators: 2, nJobs: 1 }).fit(X, y);
  assert.throws(() => m.predict(uniformX(3, 3, 1)), /3 columns, the model was fitted on 2/);
  assert.throws(() => m.predict(bad), InvalidInputError);
});

test('toOnnxSpec describes numeric inputs f0..f{n-1} and the fitted ensemble', () => {
  const X = uniformX(100, 3, 1);
  const m = new RandomForestClassifier({ nEstimators: 3, nJobs: 1 }).fit(X, bandClasses(X, 2));
  const spec = m.toOnnxSpec();
  assert.deepEqual(spec.inputs, [{ name: 'f0', kind: 'numeric' }, { name: 'f1', kind: 'numeric' }, { name: 'f2', kind: 'numeric' }]);
  assert.equal(spec.model.type, 'treeEnsemble');
  if (spec.model.type === 'treeEnsemble' && spec.model.task === 'classification') {
    assert.deepEqual(spec.model.classes, [0, 1]);
    assert.equal(spec.model.ensemble.trees.length, 3);
    assert.equal(spec.model.ensemble.aggregate, 'average');
  } else assert.fail('expected a classification tree ensemble');
});

test('identical rows grown as one weighted row: the same trees as row by row (exact sums), with or without bootstrap', () => {
  // 4,000 rows over 6 x 5 x 4 distinct feature values: most rows repeat; integer targets keep
  // every sum exact, so merged and unmerged growth must agree bit for bit. (All features at every
  // node: with per-node feature sampling a node of identical rows draws its candidates unmerged
  // but is a leaf merged, so the later draws shift; the trees then differ, drawn alike.)
  const rng = new Rng(9), n = 4000;
  const data = new Float64Array(n * 3), y = new Float64Array(n), cls = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.int(6), b = rng.int(5), c = rng.int(4);
    data.set([a, b * 0.5, c], i * 3);
    y[i] = a * 3 + (b % 2) * 7 + rng.int(5);
    cls[i] = (a + c + rng.int(2)) % 3;
  }
  const X = { rows: n, cols: 3, data };
  const binned = buildBinnedData(X);
  assert.ok(groupRows(binned, null)!.data.n <= 120, 'at most 6 x 5 x 4 distinct rows');
  for (const bootstrap of [true, false]) {
    for (const [task, target, nClasses] of [['regression', y, 1], ['classification', cls, 3]] as const) {
      const job = (mergeRows: boolean): ForestJob => ({
        task, y: target, nClasses, bootstrap, seed: 4, mergeRows,
        grow: { maxDepth: Infinity, maxLeaves: 0, minSamplesLeaf: 1, minChildWeight: 0, lambda: 0, minGain: 0, maxFeatures: 3 },
      });
      const merged = growForestSync(binned, job(true), 5), single = growForestSync(binned, job(false), 5);
      assert.deepEqual(merged.map(treeToJSON), single.map(treeToJSON), `${task}, bootstrap ${bootstrap}`);
    }
  }
});

test('row groups: identical binned rows share a group, different labels do not; few duplicates: no groups', () => {
  const X = { rows: 6, cols: 2, data: Float64Array.of(1, 2, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6) };
  const binned = buildBinnedData(X);
  const g = groupRows(binned, null)!;
  assert.deepEqual(Array.from(g.group), [0, 0, 1, 0, 1, 2]);
  assert.equal(g.data.n, 3);
  const rowBins = (i: number) => Array.from(binned.bins.subarray(i * 2, i * 2 + 2));
  assert.deepEqual(Array.from(g.data.bins), [...rowBins(0), ...rowBins(2), ...rowBins(5)]);
  const withLabels = groupRows(binned, Int32Array.of(0, 1, 0, 0, 0, 1))!;
  assert.deepEqual(Array.from(withLabels.group), [0, 1, 2, 0, 2, 3]);
  assert.deepEqual(Array.from(withLabels.label!), [0, 1, 0, 1]);
  assert.equal(groupRows(buildBinnedData(uniformX(500, 3, 1)), null), null, 'continuous rows are left as they are');
});
