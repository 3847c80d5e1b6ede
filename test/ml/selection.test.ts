import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainTestSplit, KFold, TimeSeriesSplit, crossValidate, gridSearch, randomSearch, parameterGrid } from '../../src/ml/selection/index.ts';
import { Ridge } from '../../src/ml/linear/index.ts';
import { InvalidParameterError } from '../../src/ml/core/errors.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { gaussian } from './helpers.ts';

test('trainTestSplit is a seeded partition; stratified keeps proportions', () => {
  const a = trainTestSplit(100, { seed: 1 }), b = trainTestSplit(100, { seed: 1 }), c = trainTestSplit(100, { seed: 2 });
  assert.equal(a.test.length, 20);
  assert.deepEqual([...a.train, ...a.test].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(Array.from(a.test), Array.from(b.test));
  assert.notDeepEqual(Array.from(a.test), Array.from(c.test));
  const labels = Array.from({ length: 100 }, (_, i) => (i < 80 ? 'a' : 'b'));
  const s = trainTestSplit(100, { testSize: 0.25, stratify: labels });
  assert.equal(Array.from(s.test).filter((i) => labels[i] === 'b').length, 5);
  assert.equal(s.test.length, 25);
  assert.throws(() => trainTestSplit(5, { testSize: 0 }), InvalidParameterError);
});

test('KFold folds match scikit-learn sizes and cover every row once', () => {
  const folds = new KFold(3).split(10);
  assert.deepEqual(folds.map((f) => Array.from(f.test)), [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  assert.deepEqual(Array.from(folds[1]!.train), [0, 1, 2, 3, 7, 8, 9]);
  const sh = new KFold(4, { shuffle: true, seed: 3 }).split(22);
  assert.deepEqual(sh.flatMap((f) => Array.from(f.test)).sort((a, b) => a - b), Array.from({ length: 22 }, (_, i) => i));
  for (const f of sh) assert.equal(f.train.length + f.test.length, 22);
});

test('TimeSeriesSplit matches scikit-learn', () => {
  // sklearn: TimeSeriesSplit(n_splits=3) on 6 rows -> train [0,1,2] test [3]; [0..3] [4]; [0..4] [5]
  const s = new TimeSeriesSplit(3).split(6);
  assert.deepEqual(s.map((f) => [Array.from(f.train), Array.from(f.test)]), [[[0, 1, 2], [3]], [[0, 1, 2, 3], [4]], [[0, 1, 2, 3, 4], [5]]]);
  const g = new TimeSeriesSplit(2, { testSize: 2, gap: 1 }).split(10);
  assert.deepEqual(g.map((f) => [Array.from(f.train), Array.from(f.test)]), [[[0, 1, 2, 3, 4], [6, 7]], [[0, 1, 2, 3, 4, 5, 6], [8, 9]]]);
  for (const f of new TimeSeriesSplit(4).split(50)) assert.ok(f.train[f.train.length - 1]! < f.test[0]!);
});

function data() {
  const X = gaussian(300, 4, 1);
  const r = new Rng(2);
  const y = Float64Array.from({ length: 300 }, (_, i) => 2 * X.data[i * 4]! - X.data[i * 4 + 2]! + 0.1 * r.normal());
  return { X, y };
}

test('crossValidate scores each fold with a fresh model', () => {
  const { X, y } = data();
  const r = crossValidate({ kind: 'Ridge', params: { alpha: 0.1 } }, X, y, new KFold(5).split(300), 'r2');
  assert.equal(r.scores.length, 5);
  assert.ok(r.mean > 0.99 && r.std < 0.01);
  const byFactory = crossValidate(() => new Ridge({ alpha: 0.1 }), X, y, new KFold(5).split(300), 'r2');
  assert.deepEqual(byFactory.scores, r.scores);
});

test('grid search in worker threads equals the in-thread search; picks the best alpha', async () => {
  const { X, y } = data();
  const folds = new KFold(3).split(300);
  const grid = { alpha: [1000, 0.01, 100] };
  assert.equal(parameterGrid({ a: [1, 2], b: ['x', 'y', 'z'] }).length, 6);
  const par = await gridSearch(X, y, grid, { kind: 'Ridge', folds, scoring: 'rmse', threads: 2 });
  const seq = await gridSearch(X, y, grid, { kind: 'Ridge', folds, scoring: 'rmse', threads: 1 });
  assert.deepEqual(par.bestParams, { alpha: 0.01 });
  assert.deepEqual(par.trials.map((t) => t.scores), seq.trials.map((t) => t.scores));
  assert.ok(par.bestScore < 0.2);
  assert.ok(par.best instanceof Ridge);
  const rs = await randomSearch(X, y, { alpha: { logUniform: [1e-3, 1e3] } }, 6, { kind: 'Ridge', folds, scoring: 'r2', threads: 1, seed: 4 });
  assert.equal(rs.trials.length, 6);
  assert.ok(rs.trials.every((t) => (t.params.alpha as number) >= 1e-3 && (t.params.alpha as number) <= 1e3));
  assert.ok(rs.trials.every((t) => t.mean! <= rs.bestScore));
  await assert.rejects(gridSearch(X, y, { alhpa: [1] }, { kind: 'Ridge', folds, scoring: 'r2' }), /unknown parameter "alhpa"/);
  await assert.rejects(gridSearch(X, y, { alpha: [1] }, { kind: 'Ridge', folds, scoring: 'f1' }), /unknown scoring/);
});
