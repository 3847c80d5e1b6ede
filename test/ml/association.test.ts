// Measures of association against scipy 1.17's figures on the same inputs (printed by
// `python3 -c "from scipy import stats; ..."`, see bench/eda.bench.ts for the side-by-side run
// on real data), and properties that hold whatever the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { averageRanks, chi2Independence, chi2Sf, correlationRatio, cramersV, pearson, spearman } from '../../src/ml/metrics/association.ts';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('average ranks as scipy.stats.rankdata (ties share their mean rank)', () => {
  assert.deepEqual(Array.from(averageRanks([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])), [4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8]);
});

test('pearson and spearman as scipy.stats.pearsonr / spearmanr (with ties)', () => {
  const x = [1, 2, 2, 3, 5, 8, 8, 8, 13, 21], y = [2, 1, 4, 3, 7, 9, 8, 6, 20, 15];
  close(pearson(x, y), 0.8520009755827109);
  close(spearman(x, y), 0.9108770332470622);
  // a missing value leaves its pair out, on both sides
  close(spearman([...x, NaN, 4], [...y, 3, NaN]), 0.9108770332470622);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), 'a constant side has no correlation');
});

test("Cramér's V and chi-squared as scipy.stats.contingency.association / chi2_contingency(correction=False)", () => {
  const t = [[10, 20, 30], [25, 5, 15]];
  close(cramersV(t), 0.4216370213557839);
  const c = chi2Independence(t);
  close(c.chi2, 18.666666666666664);
  assert.equal(c.dof, 2);
  close(chi2Sf(c.chi2, c.dof), 8.842698865988317e-05, 1e-10);
  assert.equal(cramersV([[5, 0], [0, 5]]), 1);
  assert.ok(Number.isNaN(cramersV([[3, 4]])), 'one level on a side');
});

test('chi-squared upper tail as scipy.stats.chi2.sf', () => {
  close(chi2Sf(3.5, 2), 0.1737739434504451, 1e-12);
  close(chi2Sf(40, 7), 1.258790387371308e-06, 1e-9);
  close(chi2Sf(0.5, 1), 0.47950012218695337, 1e-10);
  close(chi2Sf(200, 150), 0.003973185970821635, 1e-9);
});

test('correlation ratio: share of variance explained by the groups', () => {
  close(correlationRatio(Int32Array.from([0, 0, 1, 1]), 2, [1, 3, 5, 7]), Math.sqrt(0.8));
  close(correlationRatio(Int32Array.from([0, 1, 0, 1]), 2, [1, 1, 1, 1].map((v, i) => v + i)), Math.sqrt(0.2));
});

test('properties: |r|, |rho|, V, eta within [0, 1]; spearman is invariant under monotonic maps', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), { minLength: 3, maxLength: 60 }), (pairs) => {
    const x = pairs.map((p) => p[0]), y = pairs.map((p) => p[1]);
    const r = pearson(x, y), rho = spearman(x, y);
    if (!Number.isNaN(r)) assert.ok(Math.abs(r) <= 1);
    if (!Number.isNaN(rho)) {
      assert.ok(Math.abs(rho) <= 1);
      close(spearman(x.map((v) => Math.exp(v / 10)), y.map((v) => v ** 3)), rho, 1e-9);
    }
    const codes = Int32Array.from(x, (v) => ((v % 3) + 3) % 3);
    const eta = correlationRatio(codes, 3, y);
    if (!Number.isNaN(eta)) assert.ok(eta >= 0 && eta <= 1 + 1e-12);
    const t = [[0, 0, 0], [0, 0, 0]];
    for (let i = 0; i < x.length; i++) t[y[i]! > 0 ? 1 : 0]![codes[i]!]!++;
    const v = cramersV(t);
    if (!Number.isNaN(v)) assert.ok(v >= 0 && v <= 1);
  }));
});
