import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  StandardScaler, MinMaxScaler, SimpleImputer, OneHotEncoder, ColumnTransformer, defaultEncoder, detectColumns,
} from '../../src/ml/preprocessing/index.ts';
import { fromRows, toRows } from '../../src/ml/core/matrix.ts';
import { frameFromRecords } from '../../src/ml/core/frame.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from '../../src/ml/core/errors.ts';
import { gaussian } from './helpers.ts';

test('StandardScaler: hand-computed mean and std; partialFit over batches equals one fit', () => {
  const X = fromRows([[1, 10], [2, 10], [3, 10], [6, 10]]);
  const s = new StandardScaler().fit(X);
  assert.deepEqual(Array.from(s.mean), [3, 10]);
  assert.deepEqual(Array.from(s.variance), [3.5, 0]);
  const t = s.transform(X);
  assert.ok(Math.abs(t.data[0]! - -2 / Math.sqrt(3.5)) < 1e-15);
  assert.equal(t.data[1], 0); // constant column: centred, not divided by 0
  const big = gaussian(1000, 3, 1, 5);
  for (let i = 0; i < big.data.length; i++) big.data[i] += 1e9; // cancellation trap for naive sum-of-squares
  const one = new StandardScaler().fit(big);
  const stream = new StandardScaler();
  for (let start = 0; start < 1000; start += 137) {
    const end = Math.min(1000, start + 137);
    stream.partialFit({ rows: end - start, cols: 3, data: big.data.subarray(start * 3, end * 3) });
  }
  assert.equal(stream.nSamplesSeen, 1000);
  for (let j = 0; j < 3; j++) {
    assert.ok(Math.abs(stream.mean[j]! - one.mean[j]!) < 1e-6);
    // a naive sum-of-squares formula would be off by ~1e18 * eps here, i.e. by hundreds
    assert.ok(Math.abs(stream.variance[j]! / one.variance[j]! - 1) < 1e-7);
    assert.ok(Math.abs(one.variance[j]! / 25 - 1) < 0.15);
  }
  const back = s.inverseTransform(t);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(back.data[i]! - X.data[i]!) < 1e-12);
});

test('MinMaxScaler maps to [0, 1]', () => {
  const X = fromRows([[1, -5], [3, 5], [2, 0]]);
  const m = new MinMaxScaler().fit(X);
  assert.deepEqual(toRows(m.transform(X)), [[0, 0], [1, 1], [0.5, 0.5]]);
  assert.deepEqual(toRows(new MinMaxScaler({ clip: true }).fit(X).transform(fromRows([[5, -10]]))), [[1, 0]]);
});

test('SimpleImputer strategies', () => {
  const X = fromRows([[1, NaN], [NaN, 2], [3, 2], [10, 5]]);
  const t = (strategy: any) => toRows(new SimpleImputer({ strategy, fillValue: -1 }).fitTransform(X));
  assert.deepEqual(t('mean'), [[1, 3], [14 / 3, 2], [3, 2], [10, 5]]);
  assert.deepEqual(t('median'), [[1, 2], [3, 2], [3, 2], [10, 5]]);
  assert.deepEqual(t('most_frequent'), [[1, 2], [1, 2], [3, 2], [10, 5]]);
  assert.deepEqual(t('constant'), [[1, -1], [-1, 2], [3, 2], [10, 5]]);
  assert.throws(() => new SimpleImputer({ strategy: 'mode' as any }), InvalidParameterError);
});

test('OneHotEncoder: sorted categories, unknown and missing encode as zeros', () => {
  const e = new OneHotEncoder().fit([['b', 'a', 'b', null], ['x', 'x', 'y', 'y']]);
  assert.deepEqual(e.categories, [['a', 'b'], ['x', 'y']]);
  assert.deepEqual(toRows(e.transform([['a', 'zzz', null], ['y', 'x', 'q']])), [[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0]]);
  const top = new OneHotEncoder({ maxCategories: 1 }).fit([['a', 'b', 'b']]);
  assert.deepEqual(top.categories, [['b']]);
  assert.throws(() => new OneHotEncoder().transform([['a']]), NotFittedError);
  const back = OneHotEncoder.fromJSON(JSON.parse(JSON.stringify(e.toJSON())));
  assert.deepEqual(toRows(back.transform([['b'], ['y']])), [[0, 1, 0, 1]]);
});

test('ColumnTransformer: layout follows input order; impute, scale, one-hot; ONNX inputs agree', () => {
  const frame = frameFromRecords([
    { price: 10, color: 'red', size: 1, y: 1 },
    { price: null, color: 'blue', size: 3, y: 2 },
    { price: 30, color: null, size: 5, y: 3 },
  ]);
  assert.deepEqual(detectColumns(frame, ['y']), { numeric: ['price', 'size'], categorical: ['color'] });
  const ct = defaultEncoder(frame, { target: 'y' }).fit(frame);
  assert.deepEqual(ct.featureNames(), ['price', 'color=blue', 'color=red', 'size']);
  assert.deepEqual(toRows(ct.transform(frame)), [[10, 0, 1, 1], [20, 1, 0, 3], [30, 0, 0, 5]]);
  const unseen = frameFromRecords([{ price: 1, color: 'green', size: 2 }]);
  assert.deepEqual(toRows(ct.transform(unseen)), [[1, 0, 0, 2]]);
  const spec = ct.onnxInputs();
  assert.deepEqual(spec.inputs, [
    { name: 'price', kind: 'numeric' },
    { name: 'color', kind: 'categorical', categories: ['blue', 'red'] },
    { name: 'size', kind: 'numeric' },
  ]);
  assert.deepEqual(spec.imputeNumeric, [20, 3]);
  const scaled = defaultEncoder(frame, { target: 'y', scale: 'minmax' }).fit(frame);
  assert.deepEqual(toRows(scaled.transform(frame)), [[0, 0, 1, 0], [0.5, 1, 0, 0.5], [1, 0, 0, 1]]);
  assert.deepEqual(scaled.onnxInputs().scale, { offset: [10, 0, 0, 1], scale: [1 / 20, 1, 1, 1 / 4] });
  const back = ColumnTransformer.fromJSON(JSON.parse(JSON.stringify(scaled.toJSON())));
  assert.deepEqual(toRows(back.transform(frame)), toRows(scaled.transform(frame)));
  assert.throws(() => ct.transform(frameFromRecords([{ price: 1, size: 2 }])), (e: Error) => e instanceof InvalidInputError && /"color" not found/.test(e.message));
  assert.throws(() => new ColumnTransformer({ numeric: ['a'], categorical: ['a'] }), InvalidParameterError);
});
