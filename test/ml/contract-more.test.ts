// The estimator contract for the estimators contract.test.ts cannot drive through one generic
// shape (frames, string columns, transductive fits): unknown parameters, use before fit, NaN,
// shape mismatch, JSON round trips and seeded determinism, each on a known answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DBSCAN } from '../../src/ml/cluster/index.ts';
import { TSNE } from '../../src/ml/decomposition/index.ts';
import { OneHotEncoder, ColumnTransformer } from '../../src/ml/preprocessing/index.ts';
import { createSupervised, loadEstimator, loadSupervised } from '../../src/ml/registry.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from '../../src/ml/core/errors.ts';
import { fromRows, type Matrix } from '../../src/ml/core/matrix.ts';
import { frameFromRecords } from '../../src/ml/core/frame.ts';
import { blobs, gaussian } from './helpers.ts';

test('DBSCAN: unknown parameter, NaN, before fit, JSON round trip, and two clusters plus noise', () => {
  assert.throws(() => new DBSCAN({ eps: 1, minSample: 3 } as any), (e: Error) => e instanceof InvalidParameterError && /minSample/.test(e.message));
  assert.throws(() => new DBSCAN({ eps: -1 }), InvalidParameterError);
  assert.throws(() => new DBSCAN({ eps: 1 }).labels, NotFittedError);
  assert.throws(() => new DBSCAN({ eps: 1 }).fit(fromRows([[0, 0], [NaN, 1]])), (e: Error) => e instanceof InvalidInputError && /NaN/.test(e.message));
  // two tight groups of three on a line and one far point
  const X = fromRows([[0, 0], [0.5, 0], [1, 0], [10, 0], [10.5, 0], [11, 0], [50, 0]]);
  const db = new DBSCAN({ eps: 0.6, minSamples: 2 }).fit(X);
  assert.deepEqual(Array.from(db.labels), [0, 0, 0, 1, 1, 1, -1]);
  assert.equal(db.nClusters, 2);
  const back = loadEstimator(JSON.parse(JSON.stringify(db.toJSON())), 'DBSCAN');
  assert.deepEqual(Array.from(back.labels), Array.from(db.labels));
  assert.deepEqual(back.coreSampleIndices, db.coreSampleIndices);
});

test('t-SNE in 3-D: deterministic for a seed, keeps blobs apart; clear errors', () => {
  const { X, y } = blobs([[0, 0, 0, 0], [20, 0, 0, 0], [0, 20, 0, 0]], 20, 1, 3);
  const a = new TSNE({ nComponents: 3, perplexity: 10, maxIter: 300, seed: 2 }).fitTransform(X);
  const b = new TSNE({ nComponents: 3, perplexity: 10, maxIter: 300, seed: 2 }).fitTransform(X);
  assert.equal(a.embedding.cols, 3);
  assert.deepEqual(Array.from(a.embedding.data), Array.from(b.embedding.data));
  // every point is nearer to its own blob's mean than to any other blob's mean
  const E = a.embedding, means = [0, 1, 2].map((c) => {
    const m = [0, 0, 0]; let k = 0;
    for (let i = 0; i < E.rows; i++) if (y[a.indices[i]!] === c) { for (let j = 0; j < 3; j++) m[j] += E.data[i * 3 + j]!; k++; }
    return m.map((v) => v / k);
  });
  for (let i = 0; i < E.rows; i++) {
    const d = means.map((m) => m.reduce((s, v, j) => s + (E.data[i * 3 + j]! - v) ** 2, 0));
    assert.equal(d.indexOf(Math.min(...d)), y[a.indices[i]!]);
  }
  assert.throws(() => new TSNE({ perplexty: 5 } as any), (e: Error) => e instanceof InvalidParameterError && /perplexty/.test(e.message));
  const bad: Matrix = { rows: X.rows, cols: X.cols, data: X.data.slice() };
  bad.data[5] = NaN;
  assert.throws(() => new TSNE({ perplexity: 5 }).fitTransform(bad), (e: Error) => e instanceof InvalidInputError && /NaN/.test(e.message));
});

test('OneHotEncoder: unknown parameter, before fit, column-count mismatch, JSON round trip', () => {
  assert.throws(() => new OneHotEncoder({ maxCategory: 2 } as any), InvalidParameterError);
  assert.throws(() => new OneHotEncoder().transform([['a']]), NotFittedError);
  const e = new OneHotEncoder().fit([['red', 'blue', 'red'], ['s', 'm', 'l']]);
  assert.deepEqual(e.categories, [['blue', 'red'], ['l', 'm', 's']]);
  assert.deepEqual(Array.from(e.transform([['red'], ['m']]).data), [0, 1, 0, 1, 0]);
  assert.throws(() => e.transform([['red']]), InvalidInputError);
  const back = loadEstimator(JSON.parse(JSON.stringify(e.toJSON())), 'OneHotEncoder');
  assert.deepEqual(Array.from(back.transform([['blue', 'green'], ['s', null]]).data), Array.from(e.transform([['blue', 'green'], ['s', null]]).data));
});

test('ColumnTransformer: unknown parameter, before fit, missing column, JSON round trip', () => {
  assert.throws(() => new ColumnTransformer({ scaling: 'standard' } as any), InvalidParameterError);
  const frame = frameFromRecords([
    { a: 1, c: 'x' }, { a: 3, c: 'y' }, { a: null, c: 'x' }, { a: 5, c: null },
  ]);
  const ct = new ColumnTransformer({ numeric: ['a'], categorical: ['c'], impute: 'mean' });
  assert.throws(() => ct.transform(frame), NotFittedError);
  ct.fit(frame);
  // a: mean of 1, 3, 5 = 3 fills the gap; c: one-hot x, y (missing -> zeros)
  assert.deepEqual(Array.from(ct.transform(frame).data), [1, 1, 0, 3, 0, 1, 3, 1, 0, 5, 0, 0]);
  assert.throws(() => ct.transform(frameFromRecords([{ c: 'x' }])), InvalidInputError);
  const back = loadEstimator(JSON.parse(JSON.stringify(ct.toJSON())), 'ColumnTransformer');
  assert.deepEqual(Array.from(back.transform(frame).data), Array.from(ct.transform(frame).data));
});

test('tree models through the registry: unknown parameter, before fit, NaN, shape, round trip, seed', () => {
  const X = gaussian(200, 3, 4);
  const y = Float64Array.from({ length: 200 }, (_, i) => (X.data[i * 3]! > 0 ? 2 : 0) + X.data[i * 3 + 1]!);
  const yc = y.map((v) => (v > 1 ? 1 : 0));
  const withNaN: Matrix = { rows: 200, cols: 3, data: X.data.slice() };
  withNaN.data[10] = NaN;
  for (const kind of [
    'DecisionTreeRegressor',
    'DecisionTreeClassifier',
    'RandomForestRegressor',
    'RandomForestClassifier',
    'GradientBoostingRegressor',
    'GradientBoostingClassifier',
  ]) {
    const params = kind.startsWith('Random')
      ? { nEstimators: 5, seed: 3, nJobs: 1 }
      : kind.startsWith('Gradient') ? { nEstimators: 10, seed: 3, subsample: 0.8, nJobs: 1 } : { seed: 3 };
    const target = kind.endsWith('Classifier') ? yc : y;
    assert.throws(() => createSupervised(kind, { ...params, nEstimatorz: 3 }), (e: Error) => e instanceof InvalidParameterError && /nEstimatorz/.test(e.message), kind);
    assert.throws(() => createSupervised(kind, params).predict(X), NotFittedError, kind);
    assert.throws(() => createSupervised(kind, params).fit(withNaN, target), (e: Error) => e instanceof InvalidInputError && /NaN/.test(e.message), kind);
    assert.throws(() => createSupervised(kind, params).fit(X, target.subarray(1)), InvalidInputError, kind);
    const m = createSupervised(kind, params).fit(X, target);
    const again = createSupervised(kind, params).fit(X, target);
    assert.deepEqual(Array.from(again.predict(X)), Array.from(m.predict(X)), `${kind} deterministic for a seed`);
    const back = loadSupervised(JSON.parse(JSON.stringify(m.toJSON())));
    assert.deepEqual(Array.from(back.predict(X)), Array.from(m.predict(X)), `${kind} round trip`);
    assert.throws(() => m.predict({ rows: 1, cols: 2, data: Float64Array.of(1, 2) }), (e: Error) => e instanceof InvalidInputError && /columns/.test(e.message), kind);
  }
});
