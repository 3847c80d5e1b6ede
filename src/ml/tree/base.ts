// What every tree estimator here shares: input checks, class encoding, the fitted TreeEnsemble
// with its compiled fast-prediction form, JSON round-trip and the ONNX export spec.
import type { Matrix } from '../core/matrix.ts';
import type { TreeEnsemble } from '../core/tree-model.ts';
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import type { SerializedEstimator } from '../core/estimator.ts';
import { BaseEstimator, checkCols, checkXy, requireFitted } from '../core/estimator.ts';
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { CompiledEnsemble } from './predict.ts';
import { ensembleFromJSON, ensembleToJSON, type TreeEnsembleJSON } from './flat.ts';

export interface TreeState { ensemble: TreeEnsembleJSON; classes: number[] | null; extra?: Record<string, unknown> }

export abstract class TreeEstimatorBase<P extends object> extends BaseEstimator<P> {
  readonly params: Readonly<P>;
  protected fitted: TreeEnsemble | null = null;
  protected classes: number[] | null = null;
  private compiled: CompiledEnsemble | null = null;

  constructor(params: P) {
    super();
    this.params = Object.freeze(params);
  }

  /** The fitted trees (shared form read by ONNX export and serialisation). */
  get ensemble(): TreeEnsemble {
    return requireFitted(this.kind, this.fitted);
  }

  protected setEnsemble(e: TreeEnsemble, classes: number[] | null): void {
    this.fitted = e; this.classes = classes; this.compiled = null;
  }

  protected model(): CompiledEnsemble {
    if (!this.compiled) this.compiled = new CompiledEnsemble(requireFitted(this.kind, this.fitted));
    return this.compiled;
  }

  /** Checks X for prediction and returns the raw outputs (rows x nOutputs). */
  protected outputs(X: Matrix): Float64Array {
    const e = requireFitted(this.kind, this.fitted);
    checkCols(this.kind, X, e.nFeatures);
    checkXy(this.kind, X);
    return this.model().predictMatrix(X);
  }

  /** Extra fitted facts a subclass keeps (e.g. boosting rounds run); part of the JSON state. */
  protected extraState(): Record<string, unknown> | undefined { return undefined; }
  protected restoreExtra(_extra: Record<string, unknown> | undefined): void {}

  toJSON(): SerializedEstimator<P, TreeState> {
    const e = requireFitted(this.kind, this.fitted);
    const state: TreeState = { ensemble: ensembleToJSON(e), classes: this.classes ? this.classes.slice() : null };
    const extra = this.extraState();
    if (extra) state.extra = extra;
    return { kind: this.kind, format: 1, params: { ...this.params } as P, state };
  }

  protected loadState(json: SerializedEstimator<P, TreeState>): this {
    if (json.kind !== this.kind) throw new InvalidInputError(`${this.kind}.fromJSON: got a serialised ${json.kind}`);
    if (json.format !== 1) throw new InvalidInputError(`${this.kind}.fromJSON: unknown format ${json.format}`);
    this.setEnsemble(ensembleFromJSON(json.state.ensemble), json.state.classes ? json.state.classes.slice() : null);
    this.restoreExtra(json.state.extra);
    return this;
  }

  toOnnxSpec(): OnnxModelSpec {
    const e = requireFitted(this.kind, this.fitted);
    const inputs = Array.from({ length: e.nFeatures }, (_, j) => ({ name: `f${j}`, kind: 'numeric' as const }));
    return this.classes
      ? { inputs, model: { type: 'treeEnsemble', task: 'classification', ensemble: e, classes: this.classes.slice() } }
      : { inputs, model: { type: 'treeEnsemble', task: 'regression', ensemble: e } };
  }
}

export abstract class TreeRegressorBase<P extends object> extends TreeEstimatorBase<P> {
  predict(X: Matrix): Float64Array {
    return this.outputs(X);
  }

  /** One row, no input checks: the serving hot path (a few microseconds for 100 trees). */
  /** Builds the compiled prediction forms now, so that a server's first request does not pay for them. */
  warmUp(): void {
    this.model().prepareRows();
  }

  predictRow(x: ArrayLike<number>): number {
    return this.model().predictRow(x);
  }
}

export abstract class TreeClassifierBase<P extends object> extends TreeEstimatorBase<P> {
  /** The class values seen in fit, ascending; predict() returns these values. */
  get classValues(): number[] {
    requireFitted(this.kind, this.fitted);
    return this.classes!.slice();
  }

  predictProba(X: Matrix): Matrix {
    const out = this.outputs(X);
    const K = this.classes!.length;
    if (K === 2 && this.fitted!.postTransform === 'logistic') {
      // binary boosting has one output (P(class 1)); widen to both columns
      const p = new Float64Array(X.rows * 2);
      for (let i = 0; i < X.rows; i++) { p[2 * i] = 1 - out[i]!; p[2 * i + 1] = out[i]!; }
      return { rows: X.rows, cols: 2, data: p };
    }
    return { rows: X.rows, cols: K, data: out };
  }

  predict(X: Matrix): Float64Array {
    const P = this.predictProba(X);
    const y = new Float64Array(X.rows);
    for (let i = 0; i < X.rows; i++) y[i] = this.classes![argmax(P.data, i * P.cols, P.cols)]!;
    return y;
  }

  /** Class probabilities of one row, no input checks. */
  predictProbaRow(x: ArrayLike<number>): Float64Array {
    const m = this.model();
    const K = this.classes!.length;
    if (m.nOutputs === 1) { const p = m.predictRow(x); return K === 1 ? Float64Array.of(1) : Float64Array.of(1 - p, p); }
    return m.predictRowInto(x, new Float64Array(K));
  }

  /** The predicted class value of one row, no input checks. */
  predictRow(x: ArrayLike<number>): number {
    const p = this.predictProbaRow(x);
    return this.classes![argmax(p, 0, p.length)]!;
  }
}

function argmax(a: Float64Array, o: number, n: number): number {
  let b = 0;
  for (let k = 1; k < n; k++) if (a[o + k]! > a[o + b]!) b = k;
  return b;
}

/** Sorted distinct class values and each row's class index. */
export function encodeClasses(kind: string, y: Float64Array): { classes: number[]; index: Float64Array } {
  const classes = [...new Set(y)].sort((a, b) => a - b);
  if (classes.length > 1000) throw new InvalidInputError(`${kind}: y has ${classes.length} distinct values; is this a regression target?`);
  const pos = new Map(classes.map((c, k) => [c, k]));
  return { classes, index: Float64Array.from(y, (v) => pos.get(v)!) };
}

export function checkInt(kind: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new InvalidParameterError(`${kind}: parameter "${name}" must be an integer >= ${min}, got ${v}`);
}

export function checkRange(kind: string, name: string, v: number, lo: number, hi: number, loOpen = false): void {
  if (!(loOpen ? v > lo : v >= lo) || !(v <= hi)) {
    throw new InvalidParameterError(`${kind}: parameter "${name}" must be in ${loOpen ? '(' : '['}${lo}, ${hi}], got ${v}`);
  }
}

/** scikit-learn's max_features: null = default, 'sqrt' | 'log2', a fraction in (0, 1], or a count > 1. */
export function resolveMaxFeatures(kind: string, v: unknown, nFeatures: number, dflt: 'all' | 'sqrt'): number {
  const m = v ?? (dflt === 'all' ? 1 : 'sqrt');
  if (m === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  if (m === 'log2') return Math.max(1, Math.floor(Math.log2(nFeatures)));
  if (typeof m === 'number' && m > 0 && m <= 1) return Math.max(1, Math.floor(m * nFeatures));
  if (typeof m === 'number' && Number.isInteger(m) && m > 1) return Math.min(m, nFeatures);
  throw new InvalidParameterError(
    `${kind}: parameter "maxFeatures" must be null, 'sqrt', 'log2', a fraction in (0, 1] or an integer count, got ${JSON.stringify(v)}`,
  );
}
