// The meaning of an OnnxModelSpec, evaluated directly in float64: what the exported graph must
// compute (up to float32 rounding). Tests compare onnxruntime against it, and estimators can use
// it to check that their toOnnxSpec() describes what their predict() does.
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import type { Matrix } from '../core/matrix.ts';
import { predictTreeRow } from '../core/tree-model.ts';
import { readColumns, type ModelInput, type OnnxPrediction } from './inputs.ts';
import { validateSpec } from './validate.ts';

/** The encoded (imputed, one-hot, scaled) feature matrix the model part of the spec reads. */
export function encodeSpecInput(spec: OnnxModelSpec, input: ModelInput): Matrix {
  const { width } = validateSpec(spec);
  const cols = readColumns(spec.inputs, input);
  const n = cols.length;
  const data = new Float64Array(n * width);
  let j = 0;
  let numericIndex = 0;
  for (const inp of spec.inputs) {
    if (inp.kind === 'numeric') {
      const col = cols.numeric.get(inp.name)!;
      const fill = spec.imputeNumeric?.[numericIndex];
      for (let i = 0; i < n; i++) {
        const v = col[i]!, filled = Number.isNaN(v) && fill !== undefined ? fill : v;
        data[i * width + j] = inp.log1p ? Math.log1p(filled) : filled;
      }
      numericIndex++;
      j++;
    } else {
      const col = cols.categorical.get(inp.name)!;
      const index = new Map(inp.categories.map((c, k) => [c, k]));
      for (let i = 0; i < n; i++) {
        const v = col[i];
        const k = v === null || v === undefined ? undefined : index.get(v);
        if (k !== undefined) data[i * width + j + k] = 1;
      }
      j += inp.categories.length;
    }
  }
  if (spec.scale) {
    const { offset, scale } = spec.scale;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < width; c++) data[i * width + c] = (data[i * width + c]! - offset[c]!) * scale[c]!;
    }
  }
  return { rows: n, cols: width, data };
}

function applyPostTransform(scores: Float64Array, n: number, k: number, post: 'none' | 'logistic' | 'softmax'): void {
  if (post === 'logistic') {
    for (let i = 0; i < scores.length; i++) scores[i] = 1 / (1 + Math.exp(-scores[i]!));
  } else if (post === 'softmax') {
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, scores[i * k + c]!);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += (scores[i * k + c] = Math.exp(scores[i * k + c]! - max));
      for (let c = 0; c < k; c++) scores[i * k + c]! /= sum;
    }
  }
}

/** Regression values as they are; for classifiers probabilities per class and the argmax label. */
function head(
  scores: Float64Array,
  n: number,
  k: number,
  post: 'none' | 'logistic' | 'softmax',
  classes: number[] | undefined,
): OnnxPrediction {
  applyPostTransform(scores, n, k, post);
  if (!classes) return { prediction: scores, predictionCols: k };
  const c = classes.length;
  let probs = scores;
  if (k === 1 && c === 2) {
    // a single score is the probability of the second (positive) class
    probs = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      probs[i * 2] = 1 - scores[i]!;
      probs[i * 2 + 1] = scores[i]!;
    }
  }
  const prediction = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (probs[i * c + j]! > probs[i * c + best]!) best = j;
    prediction[i] = classes[best]!;
  }
  return { prediction, predictionCols: 1, probabilities: { rows: n, cols: c, data: probs } };
}

/** A regression's prediction floor (spec.predictionFloor), as the exported graph's Max applies it. */
function floored(spec: OnnxModelSpec, p: OnnxPrediction): OnnxPrediction {
  const floor = spec.predictionFloor;
  if (floor === undefined || p.probabilities) return p;
  return { ...p, prediction: Float64Array.from(p.prediction, (v) => Math.max(floor, v)) };
}

export function predictSpec(spec: OnnxModelSpec, input: ModelInput): OnnxPrediction {
  const x = encodeSpecInput(spec, input);
  const n = x.rows;
  const w = x.cols;
  const m = spec.model;
  if (m.type === 'treeEnsemble') {
    const e = m.ensemble;
    const k = e.trees[0]!.nOutputs;
    const scores = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const row = x.data.subarray(i * w, (i + 1) * w);
      for (const t of e.trees) {
        const leaf = predictTreeRow(t, row);
        for (let o = 0; o < k; o++) scores[i * k + o]! += t.value[leaf * k + o]!;
      }
      for (let o = 0; o < k; o++) {
        if (e.aggregate === 'average') scores[i * k + o]! /= e.trees.length;
        scores[i * k + o]! += e.base[o]!;
      }
    }
    return floored(spec, head(scores, n, k, e.postTransform, m.task === 'classification' ? m.classes : undefined));
  }
  if (m.type === 'linear') {
    const s = m.state;
    const k = s.nOutputs;
    const scores = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < k; o++) {
        let acc = s.intercept[o]!;
        for (let j = 0; j < w; j++) acc += s.coef[o * w + j]! * x.data[i * w + j]!;
        scores[i * k + o] = acc;
      }
    }
    return floored(spec, head(scores, n, k, s.postTransform, m.task === 'classification' ? m.classes : undefined));
  }
  const c = m.centers;
  const k = c.rows;
  const dist = new Float64Array(n * k);
  const prediction = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let q = 0; q < k; q++) {
      let acc = 0;
      for (let j = 0; j < w; j++) {
        const d = x.data[i * w + j]! - c.data[q * w + j]!;
        acc += d * d;
      }
      dist[i * k + q] = acc;
      if (acc < dist[i * k + best]!) best = q;
    }
    prediction[i] = best;
    for (let q = 0; q < k; q++) dist[i * k + q] = Math.sqrt(dist[i * k + q]!);
  }
  return { prediction, predictionCols: 1, distances: { rows: n, cols: k, data: dist } };
}
