import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinearRegression, Ridge, Lasso, LogisticRegression } from '../../src/ml/linear/index.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from '../../src/ml/core/errors.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { fromRows, type Matrix } from '../../src/ml/core/matrix.ts';
import { gaussian, gaussSolve, maxRelErr, blobs } from './helpers.ts';
import { accuracy } from '../../src/ml/metrics/index.ts';

function linearData(n: number, d: number, seed: number, noise = 0) {
  const X = gaussian(n, d, seed);
  const r = new Rng(seed + 1);
  const w = Array.from({ length: d }, () => r.normal() * 3);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 7.5;
    for (let j = 0; j < d; j++) s += X.data[i * d + j]! * w[j]!;
    y[i] = s + noise * r.normal();
  }
  return { X, y, w };
}

test('LinearRegression recovers exact linear data', () => {
  const { X, y, w } = linearData(200, 5, 1);
  const m = new LinearRegression().fit(X, y);
  assert.ok(maxRelErr(m.coef, w) < 1e-10, `coef ${Array.from(m.coef)} vs ${w}`);
  assert.ok(Math.abs(m.intercept - 7.5) < 1e-10);
});

test('LinearRegression on a rank-deficient design gives the minimum-norm fit', () => {
  // column 2 duplicates column 1: any split of the weight fits; min-norm splits it evenly
  const X = fromRows(Array.from({ length: 20 }, (_, i) => [i, i, (i * 7) % 5]));
  const y = Float64Array.from({ length: 20 }, (_, i) => 2 * i + ((i * 7) % 5) + 1);
  const m = new LinearRegression().fit(X, y);
  assert.ok(Math.abs(m.coef[0]! - 1) < 1e-8 && Math.abs(m.coef[1]! - 1) < 1e-8 && Math.abs(m.coef[2]! - 1) < 1e-8, String(m.coef));
  const p = m.predict(X);
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(p[i]! - y[i]!) < 1e-8);
});

test('Ridge equals the closed form within 1e-9 relative (independent solve)', () => {
  const { X, y } = linearData(500, 8, 3, 0.5);
  // features with large offsets and scales, as real tables have
  for (let i = 0; i < X.rows; i++) { X.data[i * 8] = X.data[i * 8]! * 1000 + 5e4; X.data[i * 8 + 3] = X.data[i * 8 + 3]! * 0.01; }
  for (const alpha of [1e-6, 0.1, 10, 1000]) {
    const m = new Ridge({ alpha }).fit(X, y);
    // the closed form on centred data (the intercept is not penalised), built here with plain
    // arrays and solved by pivoted Gaussian elimination: nothing shared with src/ml/linear
    const d = 8, n = X.rows;
    const xm = new Array<number>(d).fill(0);
    let ym = 0;
    for (let i = 0; i < n; i++) { ym += y[i]! / n; for (let j = 0; j < d; j++) xm[j] += X.data[i * d + j]! / n; }
    const A = Array.from({ length: d }, () => new Array<number>(d).fill(0)), b = new Array<number>(d).fill(0);
    for (let i = 0; i < n; i++) {
      const x = Array.from({ length: d }, (_, j) => X.data[i * d + j]! - xm[j]!);
      for (let a = 0; a < d; a++) { b[a] += x[a]! * (y[i]! - ym); for (let c = 0; c < d; c++) A[a]![c] += x[a]! * x[c]!; }
    }
    for (let a = 0; a < d; a++) A[a]![a] += alpha;
    const w = gaussSolve(A, b);
    const sol = [...w, ym - w.reduce((s, v, j) => s + v * xm[j]!, 0)];
    const err = maxRelErr([...m.coef, m.intercept], sol);
    assert.ok(err < 1e-9, `alpha ${alpha}: max relative error ${err}`);
  }
});

test('Lasso: sparse truth recovered, large alpha zeroes everything', () => {
  const X = gaussian(400, 6, 5);
  const y = new Float64Array(400);
  for (let i = 0; i < 400; i++) y[i] = 4 * X.data[i * 6]! - 2 * X.data[i * 6 + 3]! + 1;
  const m = new Lasso({ alpha: 0.01, tol: 1e-10, maxIter: 10000 }).fit(X, y);
  const c = m.coef;
  assert.ok(Math.abs(c[0]! - 4) < 0.03 && Math.abs(c[3]! + 2) < 0.03, String(c));
  for (const j of [1, 2, 4, 5]) assert.ok(Math.abs(c[j]!) < 0.01, `coef ${j} = ${c[j]}`);
  // the soft-threshold shrinks each active coefficient by about alpha (unit-variance features)
  assert.ok(c[0]! < 4 && c[3]! > -2);
  const big = new Lasso({ alpha: 100 }).fit(X, y);
  assert.deepEqual(Array.from(big.coef), [0, 0, 0, 0, 0, 0]);
  assert.ok(Math.abs(big.intercept - y.reduce((s, v) => s + v, 0) / 400) < 1e-12);
});

test('LogisticRegression separates separable binary data and gives calibrated direction', () => {
  const { X, y } = blobs([[-3, -3], [3, 3]], 100, 1, 7);
  const m = new LogisticRegression({ C: 1 }).fit(X, y);
  assert.equal(accuracy(y, m.predict(X)), 1);
  const p = m.predictProba(fromRows([[-3, -3], [3, 3], [0, 0]]));
  assert.ok(p.data[1]! < 0.01 && p.data[3]! > 0.99);
  assert.ok(Math.abs(p.data[5]! - 0.5) < 0.2);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(p.data[2 * i]! + p.data[2 * i + 1]! - 1) < 1e-12);
});

test('LogisticRegression gradient is zero at the optimum (binary, raw scales)', () => {
  const X = gaussian(300, 3, 11);
  for (let i = 0; i < 300; i++) X.data[i * 3 + 1] = X.data[i * 3 + 1]! * 100 + 20;
  const r = new Rng(12);
  const y = Float64Array.from({ length: 300 }, (_, i) => (X.data[i * 3]! + 0.01 * X.data[i * 3 + 1]! + r.normal() > 0.2 ? 1 : 0));
  const C = 0.5;
  const m = new LogisticRegression({ C }).fit(X, y);
  const s = m.modelState;
  // stationarity of C * sum loss + 0.5 ||w||^2: C * X^T (p - y) + w = 0 and sum (p - y) = 0
  const g = [0, 0, 0]; let gb = 0;
  for (let i = 0; i < 300; i++) {
    let z = s.intercept[0]!;
    for (let j = 0; j < 3; j++) z += X.data[i * 3 + j]! * s.coef[j]!;
    const res = 1 / (1 + Math.exp(-z)) - y[i]!;
    for (let j = 0; j < 3; j++) g[j] += C * res * X.data[i * 3 + j]!;
    gb += res;
  }
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(g[j]! + s.coef[j]!) < 1e-4, `grad ${j}: ${g[j]! + s.coef[j]!}`);
  assert.ok(Math.abs(gb) < 1e-4);
});

test('LogisticRegression multinomial on three blobs', () => {
  const { X, y } = blobs([[0, 6], [6, 0], [-6, -6]], 60, 1, 13);
  const yl = y.map((v) => v * 10 + 5); // arbitrary numeric labels 5, 15, 25
  const m = new LogisticRegression().fit(X, yl);
  assert.deepEqual(m.classes, [5, 15, 25]);
  assert.equal(accuracy(yl, m.predict(X)), 1);
  const p = m.predictProba(X);
  assert.equal(p.cols, 3);
  for (let i = 0; i < p.rows; i++) assert.ok(Math.abs(p.data[i * 3]! + p.data[i * 3 + 1]! + p.data[i * 3 + 2]! - 1) < 1e-12);
  assert.equal(m.modelState.postTransform, 'softmax');
});

test('JSON round trips give identical predictions', () => {
  const { X, y } = linearData(100, 4, 21, 0.3);
  const yc = y.map((v) => (v > 7.5 ? 1 : 0));
  const cases: [{ predict(X: Matrix): Float64Array; toJSON(): any }, (j: any) => { predict(X: Matrix): Float64Array }][] = [
    [new LinearRegression().fit(X, y), LinearRegression.fromJSON],
    [new Ridge({ alpha: 0.3 }).fit(X, y), Ridge.fromJSON],
    [new Lasso({ alpha: 0.05 }).fit(X, y), Lasso.fromJSON],
    [new LogisticRegression().fit(X, yc), LogisticRegression.fromJSON],
  ];
  for (const [m, from] of cases) {
    const back = from(JSON.parse(JSON.stringify(m.toJSON())));
    assert.deepEqual(Array.from(back.predict(X)), Array.from(m.predict(X)));
    assert.deepEqual(JSON.parse(JSON.stringify((back as any).toJSON())), JSON.parse(JSON.stringify(m.toJSON())));
  }
  const lr = cases[3]![0] as LogisticRegression;
  const lr2 = LogisticRegression.fromJSON(JSON.parse(JSON.stringify(lr.toJSON())));
  assert.deepEqual(Array.from(lr2.predictProba(X).data), Array.from(lr.predictProba(X).data));
});

test('bad input errors name the problem', () => {
  const X = fromRows([[1, 2], [3, 4], [5, 7]]);
  assert.throws(() => new Ridge().predict(X), NotFittedError);
  assert.throws(() => new Ridge({ alpah: 1 } as any), (e: Error) => e instanceof InvalidParameterError && /alpah/.test(e.message));
  assert.throws(() => new Ridge({ alpha: -1 }), InvalidParameterError);
  assert.throws(() => new Ridge({ alpha: '1' as any }), InvalidParameterError);
  assert.throws(() => new Ridge().fit(X, Float64Array.of(1, 2)), (e: Error) => e instanceof InvalidInputError && /y has 2/.test(e.message));
  const bad = fromRows([[1, 2], [NaN, 4], [5, 7]]);
  assert.throws(() => new LinearRegression().fit(bad, Float64Array.of(1, 2, 3)), /X\[1\]\[0\] is NaN/);
  const m = new Ridge().fit(X, Float64Array.of(1, 2, 3));
  assert.throws(() => m.predict(fromRows([[1, 2, 3]])), /3 columns.*fitted on 2/);
  assert.throws(() => new LogisticRegression().fit(X, Float64Array.of(1, 1, 1)), /single class/);
  assert.throws(() => Ridge.fromJSON({ kind: 'Lasso', format: 1, params: {}, state: null }), /kind is "Lasso"/);
});
