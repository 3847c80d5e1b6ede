// Turns a registry artifact into something that answers raw feature rows: the model's inputs
// (names and kinds) are read from the artifact itself (a Pipeline's encoder, or a bare
// estimator's positional inputs f0..fN-1), every row is checked against them before anything
// is computed, and the model's own preprocessing runs on the validated rows.
import { isMatrixPredictor, loadEstimator, type MatrixPredictor } from '../ml/registry.ts';
import { Pipeline } from '../ml/pipeline/pipeline.ts';
import { checkStructure } from './model-check.ts';
import { InputError } from './input-error.ts';
import { dateToSeconds } from '../ml/preprocessing/column-transformer.ts';
import type { Column, Frame } from '../ml/core/frame.ts';
import type { Matrix } from '../ml/core/matrix.ts';
import type { SerializedEstimator } from '../ml/core/estimator.ts';

/** date: a numeric input trained on epoch seconds, also given as an ISO 8601 string */
export interface FeatureSpec { name: string; kind: 'numeric' | 'categorical'; date?: true }

export type Prediction = number | string | null;

export interface PredictOutput {
  predictions: Prediction[];
  /** classifiers: one probability per class, in `classes` order */
  probabilities?: number[][];
}

export interface Predictor {
  kind: string;
  task: 'regression' | 'classification' | 'clustering';
  inputs: FeatureSpec[];
  classes?: string[];
  /** whether null (missing) feature values are accepted: a Pipeline imputes them, a bare estimator cannot */
  nullable: boolean;
  /** rows must have passed validateRows */
  predict(rows: Record<string, unknown>[]): PredictOutput;
}

const MAX_STRING = 1024;

/**
 * Checks every row against the model's inputs: each feature present (null = missing value,
 * imputed by the model), numbers finite, categories strings, nothing else. The first problem is
 * thrown, naming the row and feature.
 */
const knownOf = new WeakMap<FeatureSpec[], Map<string, FeatureSpec['kind']>>();

export function validateRows(model: string, inputs: FeatureSpec[], rows: unknown[], nullable = true): asserts rows is Record<string, unknown>[] {
  const orNull = nullable ? ' or null' : '';
  let known = knownOf.get(inputs);
  if (!known) knownOf.set(inputs, (known = new Map(inputs.map((f) => [f.name, f.kind]))));
  const list = () => inputs.map((f) => `${f.name} (${f.date ? 'ISO 8601 date or epoch seconds' : f.kind === 'numeric' ? 'number' : 'string'})`).join(', ');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new InputError(`rows[${i}]`, `rows[${i}] must be an object of feature values, got ${describe(row)}`);
    }
    const r = row as Record<string, unknown>;
    for (const f of inputs) {
      if (!Object.prototype.hasOwnProperty.call(r, f.name)) {
        throw new InputError(
          `rows[${i}].${f.name}`,
          `rows[${i}]: feature "${f.name}" is missing (model "${model}" needs ${list()}; use null for an unknown value)`,
        );
      }
      const v = r[f.name];
      if (v === null) {
        if (nullable) continue;
        throw new InputError(`rows[${i}].${f.name}`, `rows[${i}].${f.name} must be a finite number (model "${model}" cannot impute missing values), got null`);
      }
      if (f.date && typeof v === 'string') {
        if (!Number.isFinite(dateToSeconds(v))) {
          throw new InputError(
            `rows[${i}].${f.name}`,
            `rows[${i}].${f.name} must be an ISO 8601 date (e.g. 2026-11-23 or 2026-11-23T10:00:00Z) or epoch seconds${orNull}, got ${describe(v)}`,
          );
        }
      } else if (f.kind === 'numeric') {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new InputError(`rows[${i}].${f.name}`, `rows[${i}].${f.name} must be a finite number${orNull}, got ${describe(v)}`);
        }
      } else if (typeof v !== 'string' || v.length > MAX_STRING) {
        throw new InputError(`rows[${i}].${f.name}`, `rows[${i}].${f.name} must be a string (at most ${MAX_STRING} characters)${orNull}, got ${describe(v)}`);
      }
    }
    for (const k in r) {
      if (!known.has(k)) throw new InputError(`rows[${i}].${k}`, `rows[${i}]: "${truncate(k)}" is not a feature of model "${model}" (features: ${list()})`);
    }
  }
}

function truncate(s: string, n = 64): string { return s.length > n ? `${s.slice(0, n)}…` : s; }

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(truncate(v))}`;
  if (typeof v === 'number') return String(v);
  return `a ${typeof v}`;
}

function frameOf(inputs: FeatureSpec[], rows: Record<string, unknown>[]): Frame {
  const columns = new Map<string, Column>();
  for (const f of inputs) {
    if (f.kind === 'numeric') columns.set(
      f.name,
      Float64Array.from(rows, (r) => (r[f.name] === null ? NaN : f.date ? dateToSeconds(r[f.name] as number | string) : (r[f.name] as number))),
    );
    else columns.set(f.name, rows.map((r) => r[f.name] as string | null));
  }
  return { length: rows.length, columns };
}

function matrixOf(inputs: FeatureSpec[], rows: Record<string, unknown>[]): Matrix {
  const d = inputs.length;
  const data = new Float64Array(rows.length * d);
  rows.forEach((r, i) => inputs.forEach((f, j) => { data[i * d + j] = r[f.name] === null ? NaN : (r[f.name] as number); }));
  return { rows: rows.length, cols: d, data };
}

function rowsOf(data: Float64Array, n: number): number[][] {
  const k = data.length / n;
  return Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * k, (i + 1) * k)));
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Builds the predictor of a serialised estimator or Pipeline; throws when it cannot be served. */
export function buildPredictor(artifact: unknown): Predictor {
  const model = loadEstimator(artifact as SerializedEstimator);
  checkStructure(model);
  warmUp(model instanceof Pipeline ? model.model : model);
  if (model instanceof Pipeline) return pipelinePredictor(model);
  if (!isMatrixPredictor(model)) throw new Error(`a ${model.kind} cannot predict, so it cannot be served`);
  return barePredictor(model);
}

/** Compiles a model's fast prediction form at load (a 100-tree forest takes a second or two), not on the first request. */
export function warmUp(model: unknown): void {
  (model as { warmUp?(): void }).warmUp?.();
}

function pipelinePredictor(p: Pipeline): Predictor {
  const inputs: FeatureSpec[] = p.encoder.inputs;
  const inner = p.model as { predictRow?(x: ArrayLike<number>): number };
  if (p.params.task === 'classification') {
    const classes = p.classes;
    return {
      kind: `Pipeline(${p.model.kind})`, task: 'classification', inputs, classes, nullable: true,
      predict(rows) {
        const P = p.predictProba(frameOf(inputs, rows));
        const probabilities = rowsOf(P.data, rows.length);
        const predictions = probabilities.map((pr) => classes[argmax(pr)]!);
        return { predictions, probabilities };
      },
    };
  }
  return {
    kind: `Pipeline(${p.model.kind})`, task: 'regression', inputs, nullable: true,
    predict(rows) {
      const X = p.transform(frameOf(inputs, rows));
      // the compiled trees' one-row walk skips the batch path's blocking and checks
      if (rows.length === 1 && typeof inner.predictRow === 'function') return { predictions: [finite(inner.predictRow(X.data))] };
      return { predictions: Array.from(p.model.predict(X), finite) };
    },
  };
}

function argmax(a: number[]): number {
  let b = 0;
  for (let k = 1; k < a.length; k++) if (a[k]! > a[b]!) b = k;
  return b;
}

function barePredictor(m: MatrixPredictor): Predictor {
  // a bare estimator was fitted on a matrix: its features are positional (every matrix predictor has an ONNX form that counts them)
  const inputs: FeatureSpec[] = Array.from({ length: m.toOnnxSpec().inputs.length }, (_, j) => ({ name: `f${j}`, kind: 'numeric' }));
  if ('centers' in m) {
    return { kind: m.kind, task: 'clustering', inputs, nullable: false, predict: (rows) => ({ predictions: Array.from(m.predict(matrixOf(inputs, rows))) }) };
  }
  const classVals = 'classValues' in m ? m.classValues : m.kind === 'LogisticRegression' ? m.classes : undefined;
  if ('predictProba' in m && classVals) {
    const classes = classVals.map(String);
    return {
      kind: m.kind, task: 'classification', inputs, classes, nullable: false,
      predict(rows) {
        const X = matrixOf(inputs, rows);
        const probabilities = rowsOf(m.predictProba(X).data, rows.length);
        return { predictions: probabilities.map((pr) => classVals[argmax(pr)]!), probabilities };
      },
    };
  }
  return {
    kind: m.kind,
    task: 'regression',
    inputs,
    nullable: false,
    predict: (rows) => ({ predictions: Array.from(m.predict(matrixOf(inputs, rows)), finite) }),
  };
}
