import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecisionTreeClassifier, DecisionTreeRegressor } from '../../../src/ml/tree/index.ts';
import { accuracy, bandClasses, stepTarget, uniformX, gridX } from './helpers.ts';

test('a regression tree fits a step function exactly, with thresholds between the steps', () => {
  const X = gridX(400, 3, 1);
  const y = stepTarget(X);
  const m = new DecisionTreeRegressor().fit(X, y);
  assert.deepEqual(Array.from(m.predict(X)), Array.from(y));
  const t = m.ensemble.trees[0]!;
  const leaves = Array.from(t.feature).filter((f) => f < 0).length;
  assert.equal(leaves, 3, 'three steps need exactly three leaves');
  const probe = { rows: 4, cols: 3, data: Float64Array.of(0.05, 0.5, 0.5, 0.5, 0.5, 0.5, 0.95, 0.5, 0.5, 0.29, 0, 0) };
  assert.deepEqual(Array.from(m.predict(probe)), [10, 20, 35, 10]);
});

test('maxDepth and maxLeaves bound the tree', () => {
  const X = uniformX(500, 2, 2);
  const y = Float64Array.from({ length: 500 }, (_, i) => Math.sin(6 * X.data[2 * i]!) + X.data[2 * i + 1]!);
  const depth = (m: DecisionTreeRegressor) => {
    const t = m.ensemble.trees[0]!;
    const d = (i: number): number => (t.feature[i]! < 0 ? 0 : 1 + Math.max(d(t.left[i]!), d(t.right[i]!)));
    return d(0);
  };
  assert.equal(depth(new DecisionTreeRegressor({ maxDepth: 3 }).fit(X, y)), 3);
  const m = new DecisionTreeRegressor({ maxLeaves: 7 }).fit(X, y);
  assert.equal(Array.from(m.ensemble.trees[0]!.feature).filter((f) => f < 0).length, 7);
});

test('minSamplesLeaf is respected', () => {
  const X = uniformX(300, 2, 3);
  const y = Float64Array.from({ length: 300 }, (_, i) => X.data[2 * i]! * 10);
  const m = new DecisionTreeRegressor({ minSamplesLeaf: 20 }).fit(X, y);
  const t = m.ensemble.trees[0]!;
  const counts = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    let n = 0;
    while (t.feature[n]! >= 0) n = X.data[i * 2 + t.feature[n]!]! <= t.threshold[n]! ? t.left[n]! : t.right[n]!;
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  for (const c of counts.values()) assert.ok(c >= 20, `leaf with ${c} rows`);
});

test('a classification tree separates separable classes (accuracy 1) with pure leaves', () => {
  const X = uniformX(600, 3, 4);
  const y = bandClasses(X, 4);
  const m = new DecisionTreeClassifier().fit(X, y);
  assert.equal(accuracy(m.predict(X), y), 1);
  const P = m.predictProba(X);
  for (let i = 0; i < X.rows; i++) assert.equal(P.data[i * 4 + y[i]!], 1);
  assert.deepEqual(m.classValues, [0, 1, 2, 3]);
});

test('class labels that are not 0..K-1 come back as given', () => {
  const X = uniformX(200, 1, 5);
  const y = Float64Array.from({ length: 200 }, (_, i) => (X.data[i]! < 0.5 ? -3 : 7));
  const m = new DecisionTreeClassifier().fit(X, y);
  assert.deepEqual(Array.from(m.predict(X)), Array.from(y));
});
