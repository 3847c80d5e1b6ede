// Pipeline: a ColumnTransformer (Frame -> Matrix) followed by one estimator. It owns the label
// encoding of classification targets (any strings or numbers -> class indices 0..C-1, the form
// every classifier trains on), serialises as one JSON document, and exports one ONNX spec: the
// encoder's inputs/imputation/scaling plus the model's own spec.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { requireFitted, resolveParams, type SerializedEstimator } from '../core/estimator.ts';
import type { Frame } from '../core/frame.ts';
import type { Matrix } from '../core/matrix.ts';
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import { expectKind } from '../data/json.ts';
import { ColumnTransformer } from '../preprocessing/column-transformer.ts';

export type Task = 'regression' | 'classification';
export interface PipelineParams { task: Task }
/** Any fitted-by-(X, y) estimator: regressors, classifiers (with predictProba), optionally exportable. */
export interface PipelineModel {
  readonly kind: string;
  fit(X: Matrix, y: Float64Array): unknown;
  predict(X: Matrix): Float64Array;
  predictProba?(X: Matrix): Matrix;
  toJSON(): SerializedEstimator<any>;
  toOnnxSpec?(): OnnxModelSpec;
  getParams(): object;
  setParams(params: Record<string, unknown>): unknown;
}
type Model = PipelineModel;
/** scikit-learn's nested parameter names: `task`, and each part's as `encoder__NAME` / `model__NAME`. */
export type PipelineParamsDeep = Record<string, unknown>;
const PARTS = ['encoder', 'model'] as const;

export class Pipeline {
  readonly kind = 'Pipeline';
  readonly params: PipelineParams;
  private fitted = false;
  private classList: string[] | null = null;

  constructor(readonly encoder: ColumnTransformer, readonly model: Model, params: Partial<PipelineParams> = {}) {
    this.params = resolveParams(this.kind, { task: 'regression' }, params);
    if (this.params.task !== 'regression' && this.params.task !== 'classification') {
      throw new InvalidParameterError(`Pipeline: task must be regression or classification, got ${JSON.stringify(this.params.task)}`);
    }
    if (this.params.task === 'classification' && typeof model.predictProba !== 'function') {
      throw new InvalidParameterError(`Pipeline: ${model.kind} is not a classifier`);
    }
  }

  /** y: numbers for regression; labels (strings or numbers) for classification */
  fit(frame: Frame, y: ArrayLike<number> | ArrayLike<string>): this {
    if (y.length !== frame.length) throw new InvalidInputError(`Pipeline: y has ${y.length} values but the frame has ${frame.length} rows`);
    const X = this.encoder.fit(frame).transform(frame);
    if (this.params.task === 'regression') {
      const yn = Float64Array.from(y as ArrayLike<number>, Number);
      this.model.fit(X, yn);
    } else {
      const labels = Array.from(y as ArrayLike<string | number>, String);
      const classes = sortLabels([...new Set(labels)]);
      if (classes.length < 2) throw new InvalidInputError(`Pipeline: the target has a single class (${classes[0]}); need at least 2`);
      const index = new Map(classes.map((c, k) => [c, k]));
      this.classList = classes;
      this.model.fit(X, Float64Array.from(labels, (l) => index.get(l)!));
    }
    this.fitted = true;
    return this;
  }

  transform(frame: Frame): Matrix { this.check(); return this.encoder.transform(frame); }

  /** regression: predictions; classification: class indices into `classes` */
  predict(frame: Frame): Float64Array { return this.model.predict(this.transform(frame)); }

  predictLabels(frame: Frame): string[] {
    const classes = this.classes;
    return Array.from(this.predict(frame), (k) => classes[k]!);
  }

  predictProba(frame: Frame): Matrix {
    if (this.params.task !== 'classification') throw new InvalidInputError('Pipeline: predictProba needs a classification pipeline');
    return this.model.predictProba!(this.transform(frame));
  }

  get classes(): string[] {
    this.check();
    if (!this.classList) throw new InvalidInputError('Pipeline: a regression pipeline has no classes');
    return this.classList.slice();
  }

  get featureNames(): string[] { this.check(); return this.encoder.featureNames(); }

  toOnnxSpec(): OnnxModelSpec {
    this.check();
    if (typeof this.model.toOnnxSpec !== 'function') throw new InvalidInputError(`Pipeline: ${this.model.kind} has no ONNX form`);
    return { ...this.encoder.onnxInputs(), model: this.model.toOnnxSpec!().model };
  }

  toJSON(): SerializedEstimator<PipelineParams> {
    return {
      kind: this.kind, format: 1, params: { ...this.params },
      state: { encoder: this.encoder.toJSON(), model: this.model.toJSON(), classes: this.classList, fitted: this.fitted },
    };
  }

  /**
   * `loadModel` restores the inner model: the estimator factory passes its own loader
   * (loadEstimator(json, 'Pipeline') in src/ml/registry.ts), so this file needs no import of it.
   */
  static fromJSON(json: SerializedEstimator, loadModel: (json: SerializedEstimator) => PipelineModel): Pipeline {
    const j = expectKind<PipelineParams, {
      encoder: SerializedEstimator;
      model: SerializedEstimator;
      classes: string[] | null;
      fitted: boolean;
    }>(json, 'Pipeline');
    const p = new Pipeline(ColumnTransformer.fromJSON(j.state.encoder), loadModel(j.state.model), j.params);
    p.classList = j.state.classes ? j.state.classes.slice() : null;
    p.fitted = j.state.fitted;
    return p;
  }

  /**
   * scikit-learn's get_params(deep=True): the pipeline's own parameters and its parts' under
   * `encoder__` and `model__` (as a grid over a pipeline names them: `model__alpha`).
   */
  getParams(): PipelineParamsDeep {
    const out: PipelineParamsDeep = { ...this.params };
    for (const part of PARTS) for (const [k, v] of Object.entries(this[part].getParams())) out[`${part}__${k}`] = v;
    return out;
  }

  /**
   * Sets own and nested (`model__alpha`) parameters; each part validates its own through its
   * setParams. All or nothing: a refused value leaves every part as it was. As for every
   * estimator (core/estimator.ts), the pipeline is unfitted afterwards.
   */
  setParams(params: PipelineParamsDeep): this {
    const own: Partial<PipelineParams> = {}, nested = { encoder: {} as Record<string, unknown>, model: {} as Record<string, unknown> };
    for (const [key, v] of Object.entries(params)) {
      const [part, name] = key.split('__', 2) as [string, string | undefined];
      if (name !== undefined && (PARTS as readonly string[]).includes(part)) nested[part as 'encoder' | 'model'][name] = v;
      else if (key === 'task') own.task = v as Task;
      else throw new InvalidParameterError(`Pipeline: unknown parameter "${key}" (known: task, encoder__NAME, model__NAME)`);
    }
    const task = resolveParams(this.kind, this.params, own).task;
    if (task !== 'regression' && task !== 'classification') {
      throw new InvalidParameterError(`Pipeline: task must be regression or classification, got ${JSON.stringify(task)}`);
    }
    if (task === 'classification' && typeof this.model.predictProba !== 'function') {
      throw new InvalidParameterError(`Pipeline: ${this.model.kind} is not a classifier`);
    }
    // each part's constructor checks its merged parameters before any part changes
    for (const part of PARTS) {
      const Ctor = this[part].constructor as new (p: object) => unknown;
      new Ctor({ ...this[part].getParams(), ...nested[part] });
    }
    for (const part of PARTS) this[part].setParams(nested[part]);
    (this as { params: PipelineParams }).params = { task };
    this.fitted = false;
    this.classList = null;
    return this;
  }

  private check(): void { requireFitted(this.kind, this.fitted ? true : null); }
}

/** Numeric labels in numeric order (so "2" < "10"), otherwise lexicographic. */
function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return numeric ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort();
}
