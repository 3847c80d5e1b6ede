import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmse, mae, r2, mape, mse, accuracy, logLoss, rocAuc, silhouette, daviesBouldin, calinskiHarabasz } from '../../src/ml/metrics/index.ts';
import { fromRows } from '../../src/ml/core/matrix.ts';
import { InvalidInputError } from '../../src/ml/core/errors.ts';
import { blobs } from './helpers.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test('regression metrics on hand-computed values', () => {
  const y = [3, -0.5, 2, 7], p = [2.5, 0, 2, 8];
  // errors 0.5, -0.5, 0, -1: mse 1.5/4, mae 2/4
  close(mse(y, p), 0.375);
  close(rmse(y, p), Math.sqrt(0.375));
  close(mae(y, p), 0.5);
  // mean 2.875; SS_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
  close(r2(y, p), 1 - 1.5 / 29.1875);
  close(mape([1, 2, 4], [2, 2, 3]), (1 + 0 + 0.25) / 3);
  assert.equal(r2([1, 1], [1, 1]), 1);
  assert.throws(() => rmse([1, 2], [1]), InvalidInputError);
});

test('classification metrics on hand-computed values', () => {
  assert.equal(accuracy([0, 1, 2, 1], [0, 2, 2, 1]), 0.75);
  // binary log loss: -(ln 0.9 + ln 0.8 + ln 0.3) / 3
  close(logLoss([1, 0, 1], [0.9, 0.2, 0.3]), -(Math.log(0.9) + Math.log(0.8) + Math.log(0.3)) / 3);
  close(logLoss([2, 0], fromRows([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])), -(Math.log(0.7) + Math.log(0.5)) / 2);
  // sklearn's doc example: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
  close(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  // ties count half
  close(rocAuc([0, 1], [0.5, 0.5]), 0.5);
  close(rocAuc([0, 1, 1, 0], fromRows([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])), 1);
  // three classes, one-vs-rest macro average; perfectly ranked -> 1
  close(rocAuc([0, 1, 2], fromRows([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])), 1);
  assert.throws(() => rocAuc([1, 1], [0.2, 0.3]), /only one class/);
});

test('clustering metrics on hand-computed values', () => {
  // two clusters on a line: {0, 1} and {4, 5}
  const X = fromRows([[0], [1], [4], [5]]), l = [0, 0, 1, 1];
  // point 0: a = 1, b = (4 + 5) / 2 = 4.5 -> s = 3.5 / 4.5; point 1: a = 1, b = 3.5 -> 2.5 / 3.5 (symmetric for the others)
  close(silhouette(X, l), (3.5 / 4.5 + 2.5 / 3.5) / 2);
  // centroids 0.5 and 4.5; scatter 0.5 each; DB = (0.5 + 0.5) / 4
  close(daviesBouldin(X, l), 0.25);
  // between = 2 * 2^2 + 2 * 2^2 = 16; within = 4 * 0.25 = 1; CH = (16 / 1) / (1 / 2) = 32
  close(calinskiHarabasz(X, l), 32);
  assert.throws(() => silhouette(X, [0, 0, 0, 0]), /number of clusters/);
});

test('silhouette: the sampled estimate is close to the exact value and seeded', () => {
  const { X, y } = blobs([[0, 0], [3, 0], [0, 3]], 800, 1, 1);
  const exact = silhouette(X, y, { sampleSize: 5000 });
  const sampled = silhouette(X, y, { sampleSize: 600, seed: 2 });
  assert.ok(Math.abs(exact - sampled) < 0.05, `${exact} vs ${sampled}`);
  assert.equal(silhouette(X, y, { sampleSize: 600, seed: 2 }), sampled);
});
