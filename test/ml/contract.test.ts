// The estimator contract, checked across every estimator in this part of the ML core: unknown
// parameters rejected, use before fit rejected, NaN and shape errors, JSON round trips identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEstimator, loadEstimator } from '../../src/ml/registry.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from '../../src/ml/core/errors.ts';
import type { Matrix } from '../../src/ml/core/matrix.ts';
import { gaussian } from './helpers.ts';

const X = gaussian(120, 3, 11);
const yReg = Float64Array.from({ length: 120 }, (_, i) => X.data[i * 3]! * 2 + X.data[i * 3 + 1]!);
const yCls = yReg.map((v) => (v > 0 ? 1 : 0));
const withNaN: Matrix = { rows: 120, cols: 3, data: X.data.slice() };
withNaN.data[7] = NaN;
const narrow: Matrix = { rows: 2, cols: 2, data: Float64Array.of(1, 2, 3, 4) };

type Case = { kind: string; params: Record<string, unknown>; y?: Float64Array; out: (m: any) => ArrayLike<number> };
const cases: Case[] = [
  { kind: 'LinearRegression', params: {}, y: yReg, out: (m) => m.predict(X) },
  { kind: 'Ridge', params: { alpha: 2 }, y: yReg, out: (m) => m.predict(X) },
  { kind: 'Lasso', params: { alpha: 0.01 }, y: yReg, out: (m) => m.predict(X) },
  { kind: 'LogisticRegression', params: { C: 0.5 }, y: yCls, out: (m) => m.predictProba(X).data },
  { kind: 'StandardScaler', params: {}, out: (m) => m.transform(X).data },
  { kind: 'MinMaxScaler', params: {}, out: (m) => m.transform(X).data },
  { kind: 'SimpleImputer', params: { strategy: 'median' }, out: (m) => m.transform(withNaN).data },
  { kind: 'KMeans', params: { nClusters: 3, seed: 2 }, out: (m) => m.predict(X) },
  { kind: 'MiniBatchKMeans', params: { nClusters: 3, seed: 2, batchSize: 32 }, out: (m) => m.predict(X) },
  { kind: 'PCA', params: { nComponents: 2 }, out: (m) => m.transform(X).data },
];

for (const c of cases) {
  test(`${c.kind}: contract`, () => {
    assert.throws(() => createEstimator(c.kind, { ...c.params, notAParam: 1 }), (e: Error) => e instanceof InvalidParameterError && /notAParam/.test(e.message));
    const fresh = createEstimator(c.kind, c.params);
    assert.throws(() => c.out(fresh), NotFittedError);
    if (c.kind !== 'SimpleImputer') assert.throws(() => createEstimator(c.kind, c.params).fit(withNaN, c.y), (e: Error) => e instanceof InvalidInputError && /NaN/.test(e.message));
    if (c.y) assert.throws(() => createEstimator(c.kind, c.params).fit(X, c.y!.subarray(1)), InvalidInputError);
    const m = createEstimator(c.kind, c.params).fit(c.kind === 'SimpleImputer' ? withNaN : X, c.y);
    const fitAgain = createEstimator(c.kind, c.params).fit(c.kind === 'SimpleImputer' ? withNaN : X, c.y);
    assert.deepEqual(Array.from(c.out(fitAgain)), Array.from(c.out(m)), 'deterministic for the same params and seed');
    const back = loadEstimator(JSON.parse(JSON.stringify(m.toJSON())));
    assert.deepEqual(Array.from(c.out(back)), Array.from(c.out(m)));
    const transformOrPredict = (mm: any) => ('transform' in mm && c.kind !== 'KMeans' ? mm.transform(narrow) : mm.predict(narrow));
    assert.throws(() => transformOrPredict(m), (e: Error) => e instanceof InvalidInputError && /columns/.test(e.message));
  });
}
