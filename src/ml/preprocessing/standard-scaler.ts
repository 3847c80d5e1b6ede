// StandardScaler: (x - mean) / std per column. partialFit merges batches with the parallel form
// of Welford's update (Chan et al.), so a stream gives the same mean/variance as one fit, without
// the cancellation of sum-of-squares formulas.
import { checkCols, checkXy, requireFitted, resolveParams, type SerializedEstimator, type Transformer, BaseEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';
import { arr, expectKind, f64 } from '../data/json.ts';

export interface StandardScalerParams { withMean: boolean; withStd: boolean }
interface State { n: number; mean: Float64Array; m2: Float64Array }

export class StandardScaler extends BaseEstimator<StandardScalerParams> implements Transformer<StandardScalerParams> {
  readonly kind = 'StandardScaler';
  readonly params: StandardScalerParams;
  private state: State | null = null;

  constructor(params: Partial<StandardScalerParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { withMean: true, withStd: true }, params);
  }

  fit(X: Matrix): this {
    this.state = null;
    return this.partialFit(X);
  }

  partialFit(X: Matrix): this {
    checkXy(this.kind, X);
    if (this.state) checkCols(this.kind, X, this.state.mean.length);
    const d = X.cols, nb = X.rows;
    // batch mean and M2 by Welford within the batch
    const bm = new Float64Array(d), bm2 = new Float64Array(d);
    for (let i = 0; i < nb; i++) {
      const o = i * d, cnt = i + 1;
      for (let j = 0; j < d; j++) {
        const x = X.data[o + j]!, delta = x - bm[j]!;
        bm[j] += delta / cnt;
        bm2[j] += delta * (x - bm[j]!);
      }
    }
    if (!this.state) { this.state = { n: nb, mean: bm, m2: bm2 }; return this; }
    const s = this.state, na = s.n, n = na + nb;
    for (let j = 0; j < d; j++) {
      const delta = bm[j]! - s.mean[j]!;
      s.mean[j] += (delta * nb) / n;
      s.m2[j] += bm2[j]! + (delta * delta * na * nb) / n;
    }
    s.n = n;
    return this;
  }

  get nSamplesSeen(): number { return requireFitted(this.kind, this.state).n; }
  get mean(): Float64Array { return requireFitted(this.kind, this.state).mean.slice(); }
  /** population variance (ddof 0), like sklearn's var_ */
  get variance(): Float64Array { const s = requireFitted(this.kind, this.state); return s.m2.map((v) => v / s.n); }

  /** offset and multiplier per column: transform(x) = (x - offset) * scale (ONNX Scaler form) */
  affine(): { offset: Float64Array; scale: Float64Array } {
    const s = requireFitted(this.kind, this.state);
    const d = s.mean.length;
    const offset = this.params.withMean ? s.mean.slice() : new Float64Array(d);
    const scale = new Float64Array(d).fill(1);
    if (this.params.withStd) {
      for (let j = 0; j < d; j++) {
        const sd = Math.sqrt(s.m2[j]! / s.n);
        // a constant column is left unscaled, as in sklearn
        scale[j] = sd > 0 ? 1 / sd : 1;
      }
    }
    return { offset, scale };
  }

  transform(X: Matrix): Matrix {
    const s = requireFitted(this.kind, this.state);
    checkXy(this.kind, X);
    checkCols(this.kind, X, s.mean.length);
    return applyAffine(X, this.affine());
  }

  fitTransform(X: Matrix): Matrix { return this.fit(X).transform(X); }

  inverseTransform(X: Matrix): Matrix {
    const { offset, scale } = this.affine();
    checkCols(this.kind, X, offset.length);
    const out = new Float64Array(X.data.length), d = X.cols;
    for (let i = 0; i < X.data.length; i++) out[i] = X.data[i]! / scale[i % d]! + offset[i % d]!;
    return { rows: X.rows, cols: d, data: out };
  }

  toJSON(): SerializedEstimator<StandardScalerParams> {
    const s = this.state;
    return { kind: this.kind, format: 1, params: { ...this.params }, state: s ? { n: s.n, mean: arr(s.mean), m2: arr(s.m2) } : null };
  }

  static fromJSON(json: SerializedEstimator): StandardScaler {
    const j = expectKind<StandardScalerParams, { n: number; mean: number[]; m2: number[] } | null>(json, 'StandardScaler');
    const m = new StandardScaler(j.params);
    if (j.state) m.state = { n: j.state.n, mean: f64(j.state.mean), m2: f64(j.state.m2) };
    return m;
  }
}

export function applyAffine(X: Matrix, a: { offset: ArrayLike<number>; scale: ArrayLike<number> }): Matrix {
  const d = X.cols, out = new Float64Array(X.data.length);
  for (let i = 0; i < X.rows; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) out[o + j] = (X.data[o + j]! - a.offset[j]!) * a.scale[j]!;
  }
  return { rows: X.rows, cols: d, data: out };
}
