// The ONNX forms of the served models, run in onnxruntime beside the models themselves on the
// same rows: the retail spend model (each candidate, the linear one with its standard scaling,
// all floored at zero as the API answers), the segment model (log1p + scaler + k-means, missing
// mix shares as 0) and the music like model (boosting on the named LIKE_FEATURES). Each graph is
// also checked by the python onnx checker where /usr/bin/python3 has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/ml/core/rng.ts';
import type { Matrix } from '../../src/ml/core/matrix.ts';
import { exportOnnx, predictSpec } from '../../src/ml/onnx/index.ts';
import { runOnnx } from '../../src/ml/onnx/runtime.ts';
import { fitRegressor, MODEL_NAMES, spendOnnxSpec } from '../../src/analytics/retail/models.ts';
import { segmentCustomers } from '../../src/analytics/retail/segments.ts';
import { likeOnnxSpec } from '../../src/analytics/music/like-model.ts';
import { LIKE_FEATURES } from '../../src/analytics/music/like-features.ts';
import { onnxSpecOf } from '../../src/analytics/onnx-forms.ts';
import { GradientBoostingClassifier } from '../../src/ml/tree/index.ts';
import { assertClose, checkWithPythonOnnx, hasPythonOnnx, NO_PYTHON_ONNX } from '../ml/onnx/helpers.ts';

/** rows x names, float32-representable (what a float32 graph input holds exactly) */
function table(rng: Rng, rows: number, names: readonly string[], draw: (rng: Rng, j: number) => number): { X: Matrix; records: Record<string, number>[] } {
  const d = names.length, data = new Float64Array(rows * d);
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(draw(rng, i % d));
  const records = Array.from({ length: rows }, (_, i) => Object.fromEntries(names.map((n, j) => [n, data[i * d + j]!])));
  return { X: { rows, cols: d, data }, records };
}

function checked(bytes: Uint8Array, t: { diagnostic(m: string): void }): void {
  if (hasPythonOnnx()) checkWithPythonOnnx(bytes); else t.diagnostic(NO_PYTHON_ONNX);
}

test('spend model: every candidate, its preprocessing and the zero floor, as onnxruntime computes it', async (t) => {
  const rng = new Rng(3);
  const features = ['recency_days', 'frequency', 'monetary', 'avg_ticket', 'cutoff_month_sin', 'cutoff_month_cos'];
  const { X, records } = table(rng, 300, features, (r, j) => (j >= 4 ? r.normal() : Math.exp(r.normal() * 1.5) * (j + 1) * 10));
  // spend grows with frequency and monetary, shrinks with recency: a linear fit goes below zero for some
  const y = Float64Array.from(
    { length: X.rows },
    (_, i) => Math.max(0, 3 * X.data[i * 6 + 2]! + 20 * X.data[i * 6 + 1]! - 2 * X.data[i * 6]! + 50 * rng.normal()),
  );
  for (const name of MODEL_NAMES) {
    const fitted = fitRegressor(name, X, y, { seed: 1, nJobs: 1, small: true });
    const json = JSON.parse(JSON.stringify(fitted.toJSON()));
    const spec = spendOnnxSpec(json, features);
    const served = Float64Array.from(fitted.predict(X), (v) => Math.max(0, v)); // what /v1/predict/retail-spend answers
    if (name === 'linear') assert.ok(fitted.predict(X).some((v) => v < 0), 'the floor is exercised');
    const bytes = exportOnnx(spec, { graphName: `spend_${name}` });
    checked(bytes, t);
    const onnx = await runOnnx(bytes, records);
    // float32 in the graph: a prediction near zero is the difference of terms as large as the
    // biggest spend, so the tolerance is relative to that scale (1e-5 of it), not to the value
    const scale = Math.max(...served);
    onnx.prediction.forEach((v, i) => assert.ok(
      Math.abs(v - served[i]!) <= 1e-5 * scale,
      `spend ${name}[${i}]: onnxruntime ${v}, served ${served[i]} (scale ${scale})`,
    ));
    assertClose(predictSpec(spec, records).prediction, served, `spend ${name} (reference evaluator)`, 1e-9);
    // the registry artifact's form is the same graph
    const viaArtifact = onnxSpecOf({ kind: 'RetailSpendModel', model: name, features, estimator: json });
    assert.deepEqual(exportOnnx(viaArtifact!, { graphName: `spend_${name}` }), bytes);
  }
});

test('segment model: log1p, standard scaling and the nearest centre, as onnxruntime computes it', async (t) => {
  const rng = new Rng(8);
  const n = 160, categories = ['home', 'garden', 'toys'];
  const rfm = new Float64Array(n * 3), mix = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const g = i % 3;
    rfm[i * 3] = Math.round(Math.exp(rng.normal() * 0.5 + [1, 3, 5][g]!));
    rfm[i * 3 + 1] = 1 + Math.round(Math.exp(rng.normal() * 0.4 + [2, 1, 0][g]!));
    rfm[i * 3 + 2] = Math.round(Math.exp(rng.normal() * 0.6 + [7, 5, 4][g]!) * 100) / 100;
    const w = [rng.random() + (g === 0 ? 2 : 0), rng.random() + (g === 1 ? 2 : 0), rng.random()];
    const s = w[0]! + w[1]! + w[2]!;
    for (let j = 0; j < 3; j++) mix[i * 3 + j] = w[j]! / s;
  }
  const seg = await segmentCustomers({
    ids: Array.from({ length: n }, (_, i) => `c${i}`), rfm: { rows: n, cols: 3, data: rfm }, mix: { rows: n, cols: 3, data: mix },
    categories, country: new Array<string>(n).fill('FR'),
  }, { kRange: [3, 4], nInit: 2, seed: 2, tsneSamples: 60, tsneIter: 60 });
  const model = seg.model;
  // new profiles (float32-representable), some without a share: the model reads a missing share as 0
  const profiles = Array.from({ length: 120 }, () => {
    const src = rng.int(n);
    const row: Record<string, number | null> = {
      recency: Math.fround(rfm[src * 3]! * (0.5 + rng.random())), frequency: Math.fround(rfm[src * 3 + 1]!), monetary: Math.fround(
        rfm[src * 3 + 2]! * (0.5 + rng.random()),
      ),
    };
    categories.forEach((c, j) => { row[`mix_${c}`] = rng.random() < 0.2 ? null : Math.fround(mix[src * 3 + j]!); });
    return row;
  });
  const expected = Float64Array.from(profiles, (p) => model.matchProfile({
    recency: p.recency!, frequency: p.frequency!, monetary: p.monetary!,
    mix: Object.fromEntries(categories.flatMap((c) => (p[`mix_${c}`] === null ? [] : [[c, p[`mix_${c}`]!]]))),
  }, 0).segment);
  assert.ok(new Set(expected).size >= 2, 'the profiles fall in several segments');
  const spec = model.toOnnxSpec();
  const bytes = exportOnnx(spec, { graphName: 'retail_segments' });
  checked(bytes, t);
  const onnx = await runOnnx(bytes, profiles);
  assert.deepEqual(Array.from(onnx.prediction), Array.from(expected));
  assert.deepEqual(Array.from(predictSpec(spec, profiles).prediction), Array.from(expected));
  assert.deepEqual(onnxSpecOf(JSON.parse(JSON.stringify(model.toJSON()))), spec);
});

test('like model: P(like) on the named features, as onnxruntime computes it', async (t) => {
  const rng = new Rng(12);
  const { X, records } = table(rng, 400, LIKE_FEATURES, (r, j) => (j === 1 ? (r.random() < 0.8 ? 1 : 0) : r.normal()));
  const y = Float64Array.from({ length: X.rows }, (_, i) => (X.data[i * X.cols]! + 0.5 * X.data[i * X.cols + 6]! + 0.7 * rng.normal() > 0.3 ? 1 : 0));
  const classifier = new GradientBoostingClassifier({
    nEstimators: 40,
    learningRate: 0.1,
    maxDepth: 3,
    minSamplesLeaf: 10,
    subsample: 0.8,
    seed: 1,
    nJobs: 1,
  }).fit(X, y);
  const spec = likeOnnxSpec(classifier);
  assert.deepEqual(spec.inputs.map((i) => i.name), [...LIKE_FEATURES]);
  const bytes = exportOnnx(spec, { graphName: 'music_like' });
  checked(bytes, t);
  const onnx = await runOnnx(bytes, records);
  assertClose(onnx.probabilities!.data, classifier.predictProba(X).data, 'P(like)');
  assert.deepEqual(Array.from(onnx.prediction), Array.from(classifier.predict(X)));
});
