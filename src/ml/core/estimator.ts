// The scikit-learn-like contract every estimator follows:
//   new Estimator(params)  - params validated eagerly: unknown names and bad values throw
//   fit(X, y?)             - returns this
//   predict(X) / transform(X)
//   toJSON() / Estimator.fromJSON(json) - round-trip to identical predictions
//   toOnnx?()              - where the model has an ONNX form (see ml/onnx)
//   getParams() / setParams(p) - scikit-learn's get_params/set_params (BaseEstimator below):
//                            new Estimator(e.getParams()) builds an equal unfitted estimator
import type { Matrix } from './matrix.ts';
import { InvalidInputError, InvalidParameterError, NotFittedError } from './errors.ts';

/** The serialised form of any estimator: kind names the class in ml/registry.ts. */
export interface SerializedEstimator<P = Record<string, unknown>, S = unknown> {
  kind: string;
  format: 1;
  params: P;
  state: S;
}

/** What every estimator answers about its parameters (BaseEstimator gives both to each class). */
export interface HasParams<P extends object = Record<string, unknown>> {
  readonly kind: string;
  readonly params: Readonly<P>;
  getParams(): P;
  setParams(params: Partial<P>): this;
}

export interface Estimator<P extends object = Record<string, unknown>> extends HasParams<P> {
  toJSON(): SerializedEstimator<P>;
}

export interface Regressor<P extends object = Record<string, unknown>> extends Estimator<P> {
  fit(X: Matrix, y: Float64Array): this;
  predict(X: Matrix): Float64Array;
}

export interface Classifier<P extends object = Record<string, unknown>> extends Estimator<P> {
  fit(X: Matrix, y: Float64Array): this;
  /** class labels as numbers (0..nClasses-1 after encoding) */
  predict(X: Matrix): Float64Array;
  /** rows x nClasses probabilities */
  predictProba(X: Matrix): Matrix;
}

export interface Transformer<P extends object = Record<string, unknown>> extends Estimator<P> {
  fit(X: Matrix, y?: Float64Array): this;
  transform(X: Matrix): Matrix;
}

/**
 * Merges user params over defaults, rejecting unknown names and values of the wrong type,
 * as scikit-learn's set_params does.
 */
export function resolveParams<P extends object>(kind: string, defaults: P, given: Partial<P> = {}): P {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) {
    if (!(k in defaults)) {
      throw new InvalidParameterError(`${kind}: unknown parameter "${k}" (known: ${Object.keys(defaults).join(', ')})`);
    }
    if (v === undefined) continue;
    const d = (defaults as Record<string, unknown>)[k];
    if (d !== null && d !== undefined && typeof d !== typeof v) {
      throw new InvalidParameterError(`${kind}: parameter "${k}" must be a ${typeof d}, got ${JSON.stringify(v)}`);
    }
    out[k] = v;
  }
  return out as P;
}

/**
 * getParams/setParams once for every estimator class whose constructor takes its parameters
 * object (every kind of ml/registry.ts but Pipeline, which is built from its parts and has its
 * own nested form). The parameters live in `params`, resolved over the defaults by the
 * constructor, so getParams() is a copy of them, defaults filled.
 *
 * setParams validates by building a fresh estimator of the same class with the merged
 * parameters (the constructor is the one place that knows a kind's rules), then takes over that
 * estimator's fields: the result is exactly `new Cls({...getParams(), ...params})`, unfitted.
 * scikit-learn keeps a fitted model's attributes on set_params; we drop them, because toJSON()
 * would otherwise save parameters beside a model they did not produce. A refused value leaves
 * the estimator as it was.
 */
export abstract class BaseEstimator<P extends object> implements HasParams<P> {
  abstract readonly kind: string;
  abstract readonly params: Readonly<P>;

  /** The constructor parameters, defaults filled; a copy (changing it changes nothing here). */
  getParams(): P {
    return structuredClone(this.params) as P;
  }

  setParams(params: Partial<P>): this {
    const Ctor = this.constructor as new (p: Partial<P>) => this;
    const fresh = new Ctor({ ...this.getParams(), ...params });
    for (const key of Object.keys(this)) if (!Object.hasOwn(fresh, key)) delete (this as Record<string, unknown>)[key];
    return Object.assign(this, fresh);
  }
}

export function requireFitted<T>(kind: string, state: T | undefined | null): T {
  if (state === undefined || state === null) throw new NotFittedError(kind);
  return state;
}

/** Rejects NaN/Infinity in features and a y of the wrong length, naming the first bad cell. */
export function checkXy(kind: string, X: Matrix, y?: ArrayLike<number>, opts: { allowNaN?: boolean } = {}): void {
  if (X.data.length !== X.rows * X.cols) throw new InvalidInputError(`${kind}: X data length ${X.data.length} != ${X.rows} x ${X.cols}`);
  if (X.rows === 0) throw new InvalidInputError(`${kind}: X has no rows`);
  if (!opts.allowNaN) {
    const d = X.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) {
        throw new InvalidInputError(`${kind}: X[${Math.floor(i / X.cols)}][${i % X.cols}] is ${d[i]} (impute missing values first)`);
      }
    }
  }
  if (y !== undefined) {
    if (y.length !== X.rows) throw new InvalidInputError(`${kind}: y has ${y.length} values but X has ${X.rows} rows`);
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i]!)) throw new InvalidInputError(`${kind}: y[${i}] is ${y[i]}`);
    }
  }
}

export function checkCols(kind: string, X: Matrix, expected: number): void {
  if (X.cols !== expected) throw new InvalidInputError(`${kind}: X has ${X.cols} columns, the model was fitted on ${expected}`);
}
