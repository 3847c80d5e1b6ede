// The one-row fast path (byte-coded rows over packed nodes, binned-predict.ts) must reach the very
// leaves the plain float walk reaches, for every value a request can carry: values on a
// threshold, just either side of it, NaN, ±Infinity, -0 and huge magnitudes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomForestRegressor } from '../../../src/ml/tree/random-forest.ts';
import { GradientBoostingClassifier, GradientBoostingRegressor } from '../../../src/ml/tree/gradient-boosting.ts';
import { CompiledEnsemble } from '../../../src/ml/tree/predict.ts';
import { ensembleFromJSON, type TreeEnsembleJSON } from '../../../src/ml/tree/flat.ts';
import { compileBinned } from '../../../src/ml/tree/binned-predict.ts';
import { predictTreeRow, type TreeEnsemble } from '../../../src/ml/core/tree-model.ts';
import { Rng } from '../../../src/ml/core/rng.ts';
import { stepTarget, uniformX } from './helpers.ts';

function ensembleOf(model: { toJSON(): { state: unknown } }): TreeEnsemble {
  return ensembleFromJSON((model.toJSON().state as { ensemble: TreeEnsembleJSON }).ensemble);
}

/** Rows built from the model's own thresholds, their neighbours and the awkward values. */
function edgeRows(e: TreeEnsemble, n: number, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  const thresholds: number[][] = Array.from({ length: e.nFeatures }, () => []);
  for (const t of e.trees) for (let i = 0; i < t.feature.length; i++) if (t.feature[i]! >= 0) thresholds[t.feature[i]!]!.push(t.threshold[i]!);
  const special = [NaN, Infinity, -Infinity, -0, 0, 1e300, -1e300, Number.MIN_VALUE];
  return Array.from({ length: n }, () => Float64Array.from({ length: e.nFeatures }, (_, j) => {
    const r = rng.random();
    const ts = thresholds[j]!;
    if (r < 0.15 || ts.length === 0) return special[Math.floor(rng.random() * special.length)]!;
    const th = ts[Math.floor(rng.random() * ts.length)]!;
    if (r < 0.5) return th;
    return r < 0.75 ? th + Math.abs(th) * 1e-15 + 1e-300 : th - Math.abs(th) * 1e-15 - 1e-300;
  }));
}

function reference(e: TreeEnsemble, x: Float64Array): number {
  let s = 0;
  for (const t of e.trees) s += t.value[predictTreeRow(t, x)]!;
  const v = e.base[0]! + (e.aggregate === 'average' ? s / e.trees.length : s);
  return e.postTransform === 'logistic' ? 1 / (1 + Math.exp(-v)) : v;
}

const X = uniformX(600, 5, 4);
const y = stepTarget(X);
const labels = Float64Array.from(y, (v) => (v > 15 ? 1 : 0));

for (const [name, model] of [
  ['random forest', new RandomForestRegressor({ nEstimators: 30, seed: 1 }).fit(X, y)],
  ['boosting, regression', new GradientBoostingRegressor({ nEstimators: 40, maxDepth: 4, seed: 1 }).fit(X, y)],
  ['boosting, binary classifier', new GradientBoostingClassifier({ nEstimators: 40, maxDepth: 4, seed: 1 }).fit(X, labels)],
] as const) {
  test(`${name}: the one-row path reaches the float walk's leaves on edge values`, () => {
    const e = ensembleOf(model);
    assert.ok(compileBinned(e), 'this forest fits the byte-coded form, so the fast path is the one tested');
    const compiled = new CompiledEnsemble(e);
    compiled.prepareRows();
    const rows = edgeRows(e, 2000, 9);
    for (const x of rows) {
      const fast = compiled.predictRow(x);
      const walk = compiled.predictMatrix({ rows: 1, cols: e.nFeatures, data: x })[0]!;
      assert.equal(fast, walk, `row [${[...x].join(', ')}]`);
      const ref = reference(e, x);
      assert.ok(Math.abs(fast - ref) <= 1e-12 * Math.max(1, Math.abs(ref)), `row [${[...x].join(', ')}]: ${fast} vs reference ${ref}`);
    }
  });
}

test('a few rows walked on the trees as they are give the float form\'s values exactly', () => {
  const classes = Float64Array.from(y, (v) => (v > 20 ? 2 : v > 10 ? 1 : 0));
  for (const model of [
    new RandomForestRegressor({ nEstimators: 30, seed: 1 }).fit(X, y),
    new RandomForestRegressor({ nEstimators: 7, seed: 2 }).fit(X, y), // a tree count that is not a multiple of 4
    new GradientBoostingRegressor({ nEstimators: 40, maxDepth: 4, seed: 1 }).fit(X, y),
    new GradientBoostingClassifier({ nEstimators: 10, maxDepth: 3, seed: 1 }).fit(X, labels),
    new GradientBoostingClassifier({ nEstimators: 10, maxDepth: 3, seed: 1 }).fit(X, classes),
  ]) {
    const e = ensembleOf(model);
    const rows = edgeRows(e, 64, 3);
    const d = e.nFeatures, all = new Float64Array(rows.length * d);
    rows.forEach((x, r) => all.set(x, r * d));
    // the float form's values: a model past its first 16 calls (each of those walks the trees
    // as they are, a small forest even for a large batch)
    const floatForm = new CompiledEnsemble(e);
    for (let k = 0; k < 16; k++) floatForm.predictMatrix({ rows: 1, cols: d, data: all.subarray(0, d) });
    const batch = floatForm.predictMatrix({ rows: rows.length, cols: d, data: all });
    assert.deepEqual(
      new CompiledEnsemble(e).predictMatrix({ rows: rows.length, cols: d, data: all }),
      batch,
      'a small forest\'s first batch, walked on the trees as they are',
    );
    const K = batch.length / rows.length;
    for (let r = 0; r + 3 <= rows.length; r += 3) {
      const few = new CompiledEnsemble(e).predictMatrix({ rows: 3, cols: d, data: all.subarray(r * d, (r + 3) * d) });
      assert.deepEqual(few, batch.subarray(r * K, (r + 3) * K), `rows ${r}..${r + 2}`);
    }
    // one model asked again and again: the first batches walk the trees, the later ones the float form
    const kept = new CompiledEnsemble(e);
    for (let r = 0; r + 3 <= rows.length; r += 3) {
      assert.deepEqual(
        kept.predictMatrix({ rows: 3, cols: d, data: all.subarray(r * d, (r + 3) * d) }),
        batch.subarray(r * K, (r + 3) * K),
        `kept model, rows ${r}..${r + 2}`,
      );
    }
  }
});
