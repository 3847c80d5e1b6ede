// Every model form of OnnxModelSpec, built by hand: onnxruntime-node on the exported graph must
// agree with the reference evaluator (float64) within 1e-5 on a few hundred random rows, and
// python's onnx.checker must accept the file.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../../src/ml/core/rng.ts';
import type { OnnxInput, OnnxModelSpec } from '../../../src/ml/core/onnx-spec.ts';
import type { TreeEnsemble } from '../../../src/ml/core/tree-model.ts';
import { runOnnx } from '../../../src/ml/onnx/runtime.ts';
import { exportOnnx, predictSpec } from '../../../src/ml/onnx/index.ts';
import { frameFromRecords } from '../../../src/ml/core/frame.ts';
import {
  assertSamePrediction, checkWithPythonOnnx, hasPythonOnnx, NO_PYTHON_ONNX, probabilityVector, randomRows, randomTree,
} from './helpers.ts';

const ROWS = 400;

function numericInputs(n: number): OnnxInput[] {
  return Array.from({ length: n }, (_, i) => ({ name: `x${i}`, kind: 'numeric' as const }));
}

function ensemble(
  seed: number,
  o: { trees: number; width: number; depth: number; nOutputs: number; leaf: (r: Rng) => number[]; binaryFeatures?: Set<number> },
  rest: Pick<TreeEnsemble, 'aggregate' | 'base' | 'postTransform'>,
): TreeEnsemble {
  const rng = new Rng(seed);
  const trees = Array.from({ length: o.trees }, (_, k) =>
    randomTree(rng, { ...o, breadthFirst: k % 2 === 1, orphan: k % 5 === 2 }));
  return { trees, nFeatures: o.width, ...rest };
}

const normalLeaf = (scale: number, k = 1) => (r: Rng) => Array.from({ length: k }, () => r.normal() * scale);

// a pipeline's inputs: numeric and categorical interleaved, so the one-hot blocks sit between numeric columns
const mixedInputs: OnnxInput[] = [
  { name: 'age', kind: 'numeric' },
  { name: 'country', kind: 'categorical', categories: ['FR', 'DE', 'UK', 'ES'] },
  { name: 'amount', kind: 'numeric' },
  { name: 'channel', kind: 'categorical', categories: ['web', 'store'] },
  { name: 'visits', kind: 'numeric' },
];
const MIXED_WIDTH = 3 + 4 + 2;
const mixedBinary = new Set([1, 2, 3, 4, 6, 7]); // the one-hot columns

function pipelineSpec(model: OnnxModelSpec['model']): OnnxModelSpec {
  const rng = new Rng(99);
  return {
    inputs: mixedInputs,
    imputeNumeric: [0.25, -1.5, 3],
    scale: {
      offset: Array.from({ length: MIXED_WIDTH }, (_, j) => (mixedBinary.has(j) ? 0 : rng.normal())),
      scale: Array.from({ length: MIXED_WIDTH }, (_, j) => (mixedBinary.has(j) ? 1 : 0.5 + rng.random())),
    },
    model,
  };
}

function linearState(seed: number, nFeatures: number, nOutputs: number, postTransform: 'none' | 'logistic' | 'softmax') {
  const rng = new Rng(seed);
  return {
    coef: Float64Array.from({ length: nFeatures * nOutputs }, () => rng.normal()),
    intercept: Float64Array.from({ length: nOutputs }, () => rng.normal()),
    nFeatures,
    nOutputs,
    postTransform,
  };
}

interface Case { name: string; spec: OnnxModelSpec; labels: boolean }

const cases: Case[] = [
  {
    name: 'random forest regressor (average of 7 trees)',
    labels: false,
    spec: {
      inputs: numericInputs(5),
      model: {
        type: 'treeEnsemble',
        task: 'regression',
        ensemble: ensemble(1, { trees: 7, width: 5, depth: 6, nOutputs: 1, leaf: normalLeaf(10) }, { aggregate: 'average', base: [0], postTransform: 'none' }),
      },
    },
  },
  {
    name: 'gradient boosting regressor (sum of 40 trees + base)',
    labels: false,
    spec: {
      inputs: numericInputs(4),
      imputeNumeric: [0, 1, -2, 0.5],
      model: {
        type: 'treeEnsemble',
        task: 'regression',
        ensemble: ensemble(
          2,
          { trees: 40, width: 4, depth: 4, nOutputs: 1, leaf: normalLeaf(0.3) },
          { aggregate: 'sum', base: [12.75], postTransform: 'none' },
        ),
      },
    },
  },
  {
    name: 'gradient boosting binary classifier (logistic, one score)',
    labels: true,
    spec: {
      inputs: numericInputs(6),
      model: {
        type: 'treeEnsemble',
        task: 'classification',
        classes: [3, 7],
        ensemble: ensemble(3, { trees: 25, width: 6, depth: 3, nOutputs: 1, leaf: normalLeaf(0.4) }, {
          aggregate: 'sum',
          base: [-0.3],
          postTransform: 'logistic',
        }),
      },
    },
  },
  {
    name: 'gradient boosting binary classifier whose leaf values are all positive',
    labels: true,
    spec: {
      inputs: numericInputs(3),
      model: {
        type: 'treeEnsemble',
        task: 'classification',
        classes: [0, 1],
        ensemble: ensemble(4, { trees: 5, width: 3, depth: 3, nOutputs: 1, leaf: (r) => [r.random() * 0.5] }, {
          aggregate: 'sum',
          base: [-1],
          postTransform: 'logistic',
        }),
      },
    },
  },
  {
    name: 'gradient boosting multiclass (softmax over 4 classes)',
    labels: true,
    spec: {
      inputs: numericInputs(5),
      model: {
        type: 'treeEnsemble',
        task: 'classification',
        classes: [0, 1, 2, 5],
        ensemble: ensemble(5, { trees: 20, width: 5, depth: 4, nOutputs: 4, leaf: normalLeaf(0.5, 4) }, {
          aggregate: 'sum',
          base: [0.1, -0.2, 0.3, 0],
          postTransform: 'softmax',
        }),
      },
    },
  },
  {
    name: 'random forest classifier (average of class probabilities, 3 classes)',
    labels: true,
    spec: {
      inputs: numericInputs(4),
      model: {
        type: 'treeEnsemble',
        task: 'classification',
        classes: [10, 20, 30],
        ensemble: ensemble(6, { trees: 9, width: 4, depth: 5, nOutputs: 3, leaf: (r) => probabilityVector(r, 3) }, {
          aggregate: 'average',
          base: [0, 0, 0],
          postTransform: 'none',
        }),
      },
    },
  },
  {
    name: 'random forest binary classifier (two probability columns)',
    labels: true,
    spec: {
      inputs: numericInputs(4),
      model: {
        type: 'treeEnsemble',
        task: 'classification',
        classes: [0, 1],
        ensemble: ensemble(7, { trees: 6, width: 4, depth: 5, nOutputs: 2, leaf: (r) => probabilityVector(r, 2) }, {
          aggregate: 'average',
          base: [0, 0],
          postTransform: 'none',
        }),
      },
    },
  },
  {
    name: 'multi-output tree regressor (2 targets)',
    labels: false,
    spec: {
      inputs: numericInputs(3),
      model: {
        type: 'treeEnsemble',
        task: 'regression',
        ensemble: ensemble(8, { trees: 3, width: 3, depth: 4, nOutputs: 2, leaf: normalLeaf(5, 2) }, {
          aggregate: 'average',
          base: [1, -1],
          postTransform: 'none',
        }),
      },
    },
  },
  {
    name: 'linear regressor',
    labels: false,
    spec: { inputs: numericInputs(6), imputeNumeric: [0, 0, 0, 1, 1, 1], model: { type: 'linear', task: 'regression', state: linearState(9, 6, 1, 'none') } },
  },
  {
    name: 'logistic regression (binary, one score)',
    labels: true,
    spec: {
      inputs: numericInputs(5),
      imputeNumeric: [0, 0, 0, 0, 0],
      model: { type: 'linear', task: 'classification', classes: [0, 1], state: linearState(10, 5, 1, 'logistic') },
    },
  },
  {
    name: 'multinomial logistic regression (softmax over 3 classes)',
    labels: true,
    spec: {
      inputs: numericInputs(4),
      imputeNumeric: [0, 0, 0, 0],
      model: { type: 'linear', task: 'classification', classes: [2, 4, 6], state: linearState(11, 4, 3, 'softmax') },
    },
  },
  {
    name: 'kmeans (5 centres far from the origin: distances then ArgMin)',
    labels: true,
    spec: {
      inputs: numericInputs(3),
      imputeNumeric: [0, 0, 0],
      // rows and centres both near 40: a |x|^2 - 2x.c + |c|^2 form would lose the distances to cancellation
      scale: { offset: [-40, -40, -40], scale: [1, 1, 1] },
      model: { type: 'kmeans', centers: { rows: 5, cols: 3, data: Float64Array.from({ length: 15 }, (_, i) => Math.sin(i * 7.3) * 2 + 40) } },
    },
  },
  {
    name: 'pipeline: imputation + one-hot + scaling + gradient boosting',
    labels: false,
    spec: pipelineSpec({
      type: 'treeEnsemble',
      task: 'regression',
      ensemble: ensemble(
        12,
        { trees: 30, width: MIXED_WIDTH, depth: 4, nOutputs: 1, leaf: normalLeaf(1), binaryFeatures: mixedBinary },
        { aggregate: 'sum', base: [100], postTransform: 'none' },
      ),
    }),
  },
  {
    name: 'pipeline: imputation + one-hot + scaling + multinomial logistic regression',
    labels: true,
    spec: pipelineSpec({ type: 'linear', task: 'classification', classes: [0, 1, 2], state: linearState(13, MIXED_WIDTH, 3, 'softmax') }),
  },
  {
    name: 'pipeline: imputation + one-hot + scaling + kmeans',
    labels: true,
    spec: pipelineSpec({
      type: 'kmeans',
      centers: { rows: 4, cols: MIXED_WIDTH, data: Float64Array.from({ length: 4 * MIXED_WIDTH }, (_, i) => Math.cos(i * 1.7)) },
    }),
  },
];

describe('ONNX export: onnxruntime-node matches the spec', () => {
  for (const [k, c] of cases.entries()) {
    test(c.name, async () => {
      const rows = randomRows(new Rng(1000 + k), c.spec.inputs, ROWS);
      const bytes = exportOnnx(c.spec);
      const actual = await runOnnx(bytes, rows);
      const expected = predictSpec(c.spec, rows);
      assertSamePrediction(actual, expected, c.labels);
      // the same rows given as a Frame take the same path
      const fromFrame = await runOnnx(bytes, frameFromRecords(rows, c.spec.inputs.filter((i) => i.kind === 'categorical').map((i) => i.name)));
      assert.deepEqual(Array.from(fromFrame.prediction), Array.from(actual.prediction));
      if (c.labels) {
        // the labels are not all one class, or the label check above proves little
        assert.ok(new Set(expected.prediction).size > 1, 'test data spans several classes');
      }
    });
  }
});

describe('ONNX export: onnx.checker (full_check) accepts every exported file', () => {
  const skip = hasPythonOnnx() ? false : NO_PYTHON_ONNX;
  for (const c of cases) {
    test(c.name, { skip }, () => checkWithPythonOnnx(exportOnnx(c.spec, { metadata: { model: c.name }, modelVersion: 3 })));
  }
});
