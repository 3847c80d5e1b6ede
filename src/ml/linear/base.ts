// Shared plumbing of the linear models: state in core's LinearModelState, the decision function,
// serialisation and the ONNX spec of a bare model (numeric inputs f0..f{d-1}).
import { BaseEstimator, checkCols, checkXy, requireFitted, type SerializedEstimator } from '../core/estimator.ts';
import type { LinearModelState } from '../core/linear-model.ts';
import type { Matrix } from '../core/matrix.ts';
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import { arr, expectKind, f64 } from '../data/json.ts';

export interface LinearStateJSON {
  coef: number[]; intercept: number[]; nFeatures: number; nOutputs: number;
  postTransform: LinearModelState['postTransform']; classes?: number[]; nIter?: number;
}

export function stateToJSON(s: LinearModelState): LinearStateJSON {
  return { coef: arr(s.coef), intercept: arr(s.intercept), nFeatures: s.nFeatures, nOutputs: s.nOutputs, postTransform: s.postTransform };
}

export function stateFromJSON(j: LinearStateJSON): LinearModelState {
  return { coef: f64(j.coef), intercept: f64(j.intercept), nFeatures: j.nFeatures, nOutputs: j.nOutputs, postTransform: j.postTransform };
}

/** rows x nOutputs raw scores X . coef^T + intercept */
export function decision(kind: string, s: LinearModelState, X: Matrix): Matrix {
  checkXy(kind, X);
  checkCols(kind, X, s.nFeatures);
  const { rows: n, cols: d, data } = X, K = s.nOutputs;
  const out = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let k = 0; k < K; k++) {
      let z = s.intercept[k]!;
      const c = k * d;
      for (let j = 0; j < d; j++) z += data[o + j]! * s.coef[c + j]!;
      out[i * K + k] = z;
    }
  }
  return { rows: n, cols: K, data: out };
}

/** Base for the least-squares family: one output, no post transform. */
export abstract class LinearRegressorBase<P extends object> extends BaseEstimator<P> {
  protected state: LinearModelState | null = null;
  protected nIter = 0;

  abstract fit(X: Matrix, y: Float64Array): this;

  predict(X: Matrix): Float64Array {
    return decision(this.kind, requireFitted(this.kind, this.state), X).data;
  }

  get coef(): Float64Array { return requireFitted(this.kind, this.state).coef.slice(); }
  get intercept(): number { return requireFitted(this.kind, this.state).intercept[0]!; }
  get modelState(): LinearModelState { return requireFitted(this.kind, this.state); }

  toOnnxSpec(): OnnxModelSpec {
    const s = requireFitted(this.kind, this.state);
    return {
      inputs: Array.from({ length: s.nFeatures }, (_, j) => ({ name: `f${j}`, kind: 'numeric' as const })),
      model: { type: 'linear', task: 'regression', state: s },
    };
  }

  toJSON(): SerializedEstimator<P> {
    return { kind: this.kind, format: 1, params: { ...this.params }, state: this.state ? { ...stateToJSON(this.state), nIter: this.nIter } : null };
  }

  protected restore(json: SerializedEstimator): this {
    const j = expectKind<P, LinearStateJSON | null>(json, this.kind);
    if (j.state) { this.state = stateFromJSON(j.state); this.nIter = j.state.nIter ?? 0; }
    return this;
  }
}
