// Parity of the real estimators with their exported graphs: fit on small seeded data, export
// toOnnxSpec(), run onnxruntime-node on held-out rows and compare with the estimator's own
// predict / predictProba / transform within 1e-5.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/ml/core/rng.ts';
import type { Frame } from '../../../src/ml/core/frame.ts';
import type { Matrix } from '../../../src/ml/core/matrix.ts';
import type { OnnxModelSpec } from '../../../src/ml/core/onnx-spec.ts';
import { runOnnx } from '../../../src/ml/onnx/runtime.ts';
import { exportOnnx, predictSpec, encodeSpecInput } from '../../../src/ml/onnx/index.ts';
import { ColumnTransformer } from '../../../src/ml/preprocessing/index.ts';
import { DecisionTreeClassifier, DecisionTreeRegressor } from '../../../src/ml/tree/decision-tree.ts';
import { RandomForestClassifier, RandomForestRegressor } from '../../../src/ml/tree/random-forest.ts';
import { GradientBoostingClassifier, GradientBoostingRegressor } from '../../../src/ml/tree/gradient-boosting.ts';
import { Lasso, LinearRegression, LogisticRegression, Ridge } from '../../../src/ml/linear/index.ts';
import { KMeans } from '../../../src/ml/cluster/kmeans.ts';
import { assertClose, checkWithPythonOnnx, hasPythonOnnx, NO_PYTHON_ONNX } from './helpers.ts';

const D = 5;

/** Features on different scales; y a nonlinear function of them; classes from its quantiles. */
function dataset(seed: number, n: number): { X: Matrix; y: Float64Array } {
  const rng = new Rng(seed);
  const X = new Float64Array(n * D);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < D; j++) X[i * D + j] = rng.normal() * (j + 1) + j * 3;
    const x = X.subarray(i * D, (i + 1) * D);
    y[i] = Math.sin(x[0]!) * 3 + x[1]! * x[2]! * 0.2 - Math.abs(x[3]! - 9) + rng.normal() * 0.3;
  }
  return { X: { rows: n, cols: D, data: X }, y };
}

function toClasses(y: Float64Array, k: number): Float64Array {
  const sorted = Float64Array.from(y).sort();
  const cuts = Array.from({ length: k - 1 }, (_, q) => sorted[Math.floor(((q + 1) * y.length) / k)]!);
  return Float64Array.from(y, (v) => cuts.filter((c) => v >= c).length);
}

/** the f0..f{d-1} inputs of a bare estimator's spec */
function frameOf(X: Matrix): Frame {
  const columns = new Map<string, Float64Array>();
  for (let j = 0; j < X.cols; j++) columns.set(`f${j}`, Float64Array.from({ length: X.rows }, (_, i) => X.data[i * X.cols + j]!));
  return { length: X.rows, columns };
}

const train = dataset(1, 600);
const heldOut = dataset(2, 300);

interface Fitted {
  toOnnxSpec(): OnnxModelSpec;
  predict(X: Matrix): Float64Array | Int32Array;
  predictProba?(X: Matrix): Matrix;
  transform?(X: Matrix): Matrix;
}

/** Labels agree except where the two best probabilities tie to within float32 noise. */
function assertLabels(actual: Float64Array, expected: ArrayLike<number>, proba: Matrix | undefined): void {
  let differ = 0;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] === expected[i]) continue;
    differ++;
    assert.ok(proba, `label of row ${i}: onnxruntime ${actual[i]}, estimator ${expected[i]}`);
    const p = Array.from(proba.data.subarray(i * proba.cols, (i + 1) * proba.cols)).sort((a, b) => b - a);
    assert.ok(p[0]! - p[1]! < 1e-5, `label of row ${i}: onnxruntime ${actual[i]}, estimator ${expected[i]} (probabilities ${p.join(', ')})`);
  }
  assert.ok(differ <= 2, `${differ} labels differ`);
}

async function checkParity(model: Fitted, kind: 'regression' | 'classification' | 'clustering'): Promise<Uint8Array> {
  const spec = model.toOnnxSpec();
  const bytes = exportOnnx(spec);
  const frame = frameOf(heldOut.X);
  const out = await runOnnx(bytes, frame);
  const expected = model.predict(heldOut.X);
  // the reference evaluator reads the spec exactly as the estimator predicts
  const reference = predictSpec(spec, frame);
  if (kind === 'regression') {
    assertClose(out.prediction, expected, 'prediction');
    assertClose(reference.prediction, expected, 'reference prediction', 1e-12);
  } else if (kind === 'classification') {
    const proba = model.predictProba!(heldOut.X);
    assertClose(out.probabilities!.data, proba.data, 'probabilities');
    assertClose(reference.probabilities!.data, proba.data, 'reference probabilities', 1e-12);
    assertLabels(out.prediction, expected, proba);
    assert.deepEqual(Array.from(reference.prediction), Array.from(expected));
    assert.ok(new Set(expected).size > 1, 'predictions span several classes');
  } else {
    assertLabels(out.prediction, expected, undefined);
    assertClose(out.distances!.data, model.transform!(heldOut.X).data, 'distances');
  }
  return bytes;
}

const yBinary = toClasses(train.y, 2);
const y3 = toClasses(train.y, 3);

const estimators: { name: string; kind: 'regression' | 'classification' | 'clustering'; fit: () => Fitted }[] = [
  { name: 'DecisionTreeRegressor', kind: 'regression', fit: () => new DecisionTreeRegressor({ maxDepth: 8 }).fit(train.X, train.y) },
  { name: 'DecisionTreeClassifier (3 classes)', kind: 'classification', fit: () => new DecisionTreeClassifier({ maxDepth: 6 }).fit(train.X, y3) },
  {
    name: 'RandomForestRegressor',
    kind: 'regression',
    fit: () => new RandomForestRegressor({ nEstimators: 25, maxDepth: 8, seed: 3, nJobs: 1 }).fit(train.X, train.y),
  },
  {
    name: 'RandomForestClassifier (binary)',
    kind: 'classification',
    fit: () => new RandomForestClassifier({ nEstimators: 25, maxDepth: 8, seed: 4, nJobs: 1 }).fit(train.X, yBinary),
  },
  {
    name: 'RandomForestClassifier (3 classes)',
    kind: 'classification',
    fit: () => new RandomForestClassifier({ nEstimators: 25, maxDepth: 8, seed: 5, nJobs: 1 }).fit(train.X, y3),
  },
  {
    name: 'GradientBoostingRegressor',
    kind: 'regression',
    fit: () => new GradientBoostingRegressor({ nEstimators: 60, maxDepth: 4, seed: 6 }).fit(train.X, train.y),
  },
  {
    name: 'GradientBoostingClassifier (binary)',
    kind: 'classification',
    fit: () => new GradientBoostingClassifier({ nEstimators: 60, maxDepth: 3, seed: 7 }).fit(train.X, yBinary),
  },
  {
    name: 'GradientBoostingClassifier (3 classes)',
    kind: 'classification',
    fit: () => new GradientBoostingClassifier({ nEstimators: 40, maxDepth: 3, seed: 8 }).fit(train.X, y3),
  },
  { name: 'LinearRegression', kind: 'regression', fit: () => new LinearRegression().fit(train.X, train.y) },
  { name: 'Ridge', kind: 'regression', fit: () => new Ridge({ alpha: 3 }).fit(train.X, train.y) },
  { name: 'Lasso', kind: 'regression', fit: () => new Lasso({ alpha: 0.05 }).fit(train.X, train.y) },
  { name: 'LogisticRegression (binary)', kind: 'classification', fit: () => new LogisticRegression({ C: 1 }).fit(train.X, yBinary) },
  { name: 'LogisticRegression (multinomial, 3 classes)', kind: 'classification', fit: () => new LogisticRegression({ C: 1 }).fit(train.X, y3) },
  { name: 'KMeans (4 clusters)', kind: 'clustering', fit: () => new KMeans({ nClusters: 4, seed: 9, threads: 1 }).fit(train.X) },
];

describe('ONNX parity with the fitted estimators (held-out rows)', () => {
  const checker = hasPythonOnnx() ? false : NO_PYTHON_ONNX;
  for (const e of estimators) {
    test(e.name, async (t) => {
      const bytes = await checkParity(e.fit(), e.kind);
      await t.test('onnx.checker accepts it', { skip: checker }, () => checkWithPythonOnnx(bytes));
    });
  }
});

// A ColumnTransformer (imputation, one-hot, scaling) followed by a model, exported as one graph
// from raw columns: onnxruntime on the raw held-out frame must match model.predict(ct.transform(frame)).
function rawFrame(seed: number, n: number): { frame: Frame; y: Float64Array } {
  const rng = new Rng(seed);
  const regions = ['north', 'south', 'east', 'west'];
  const plans = ['free', 'pro', 'team'];
  const tenure = new Float64Array(n), spend = new Float64Array(n), visits = new Float64Array(n);
  const region: (string | null)[] = [], plan: (string | null)[] = [];
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    tenure[i] = rng.random() < 0.1 ? NaN : rng.random() * 60;
    spend[i] = rng.random() < 0.1 ? NaN : Math.exp(rng.normal() + 3);
    visits[i] = Math.floor(rng.random() * 30);
    // held-out rows (seed 2) see a region never seen in training
    region.push(rng.random() < 0.05 ? null : seed === 2 && rng.random() < 0.1 ? 'offshore' : regions[rng.int(4)]!);
    plan.push(plans[rng.int(3)]!);
    const t = Number.isNaN(tenure[i]!) ? 30 : tenure[i]!;
    const score = t / 20 - (plan[i] === 'free' ? 1.5 : 0) + (region[i] === 'north' ? 1 : 0) + visits[i]! / 15 + rng.normal() * 0.5;
    y[i] = score > 2.2 ? 2 : score > 1 ? 1 : 0;
  }
  const columns = new Map<string, Float64Array | (string | null)[]>([
    ['tenure', tenure], ['region', region], ['spend', spend], ['plan', plan], ['visits', visits],
  ]);
  return { frame: { length: n, columns }, y };
}

describe('ONNX parity of ColumnTransformer + model pipelines (raw held-out frame)', () => {
  const trainSet = rawFrame(1, 800);
  const testSet = rawFrame(2, 300);
  const checker = hasPythonOnnx() ? false : NO_PYTHON_ONNX;
  const pipelines: {
    name: string;
    scale: 'none' | 'standard' | 'minmax';
    model: (X: Matrix, y: Float64Array) => Fitted;
    kind: 'regression' | 'classification' | 'clustering';
  }[] = [
    {
      name: 'standard scaling + GradientBoostingClassifier (3 classes)',
      scale: 'standard',
      kind: 'classification',
      model: (X, y) => new GradientBoostingClassifier({ nEstimators: 30, maxDepth: 3 }).fit(X, y),
    },
    { name: 'minmax scaling + LogisticRegression (multinomial)', scale: 'minmax', kind: 'classification', model: (X, y) => new LogisticRegression().fit(X, y) },
    { name: 'standard scaling + Ridge', scale: 'standard', kind: 'regression', model: (X, y) => new Ridge({ alpha: 1 }).fit(X, y) },
    {
      name: 'no scaling + RandomForestRegressor',
      scale: 'none',
      kind: 'regression',
      model: (X, y) => new RandomForestRegressor({ nEstimators: 15, maxDepth: 6, nJobs: 1 }).fit(X, y),
    },
    { name: 'standard scaling + KMeans', scale: 'standard', kind: 'clustering', model: (X) => new KMeans({ nClusters: 3, threads: 1 }).fit(X) },
  ];
  for (const p of pipelines) {
    test(p.name, async (t) => {
      const ct = new ColumnTransformer({ numeric: ['tenure', 'spend', 'visits'], categorical: ['region', 'plan'], scale: p.scale });
      const model = p.model(ct.fitTransform(trainSet.frame), trainSet.y);
      const spec: OnnxModelSpec = { ...ct.onnxInputs(), model: model.toOnnxSpec().model };
      assert.deepEqual(spec.inputs.map((i) => i.name), ['tenure', 'region', 'spend', 'plan', 'visits']);
      const bytes = exportOnnx(spec);
      const out = await runOnnx(bytes, testSet.frame);
      const Xtest = ct.transform(testSet.frame);
      const expected = model.predict(Xtest);
      if (p.kind === 'regression') {
        assertClose(out.prediction, expected, 'prediction');
      } else if (p.kind === 'classification') {
        const proba = model.predictProba!(Xtest);
        assertClose(out.probabilities!.data, proba.data, 'probabilities');
        assertLabels(out.prediction, expected, proba);
      } else {
        assertLabels(out.prediction, expected, undefined);
        assertClose(out.distances!.data, model.transform!(Xtest).data, 'distances');
      }
      // the spec's own reading of the raw frame is the transformer's encoding, to float64 precision
      assertClose(encodeSpecInput(spec, testSet.frame).data, Xtest.data, 'encoded features', 1e-12);
      await t.test('onnx.checker accepts it', { skip: checker }, () => checkWithPythonOnnx(bytes));
    });
  }
});
