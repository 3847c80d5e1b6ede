// MinMaxScaler: maps each column's fitted [min, max] onto [0, 1].
import { checkCols, checkXy, requireFitted, resolveParams, type SerializedEstimator, type Transformer, BaseEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';
import { arr, expectKind, f64 } from '../data/json.ts';
import { applyAffine } from './standard-scaler.ts';

export interface MinMaxScalerParams { clip: boolean }
interface State { min: Float64Array; max: Float64Array }

export class MinMaxScaler extends BaseEstimator<MinMaxScalerParams> implements Transformer<MinMaxScalerParams> {
  readonly kind = 'MinMaxScaler';
  readonly params: MinMaxScalerParams;
  private state: State | null = null;

  constructor(params: Partial<MinMaxScalerParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { clip: false }, params);
  }

  fit(X: Matrix): this {
    this.state = null;
    return this.partialFit(X);
  }

  partialFit(X: Matrix): this {
    checkXy(this.kind, X);
    const d = X.cols;
    if (this.state) checkCols(this.kind, X, this.state.min.length);
    const s = this.state ?? { min: new Float64Array(d).fill(Infinity), max: new Float64Array(d).fill(-Infinity) };
    for (let i = 0; i < X.rows; i++) {
      for (let j = 0; j < d; j++) {
        const x = X.data[i * d + j]!;
        if (x < s.min[j]!) s.min[j] = x;
        if (x > s.max[j]!) s.max[j] = x;
      }
    }
    this.state = s;
    return this;
  }

  affine(): { offset: Float64Array; scale: Float64Array } {
    const s = requireFitted(this.kind, this.state);
    const scale = s.min.map((mn, j) => { const r = s.max[j]! - mn; return r > 0 ? 1 / r : 1; });
    return { offset: s.min.slice(), scale };
  }

  transform(X: Matrix): Matrix {
    const s = requireFitted(this.kind, this.state);
    checkXy(this.kind, X);
    checkCols(this.kind, X, s.min.length);
    const out = applyAffine(X, this.affine());
    if (this.params.clip) for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(1, Math.max(0, out.data[i]!));
    return out;
  }

  fitTransform(X: Matrix): Matrix { return this.fit(X).transform(X); }

  toJSON(): SerializedEstimator<MinMaxScalerParams> {
    const s = this.state;
    return { kind: this.kind, format: 1, params: { ...this.params }, state: s ? { min: arr(s.min), max: arr(s.max) } : null };
  }

  static fromJSON(json: SerializedEstimator): MinMaxScaler {
    const j = expectKind<MinMaxScalerParams, { min: number[]; max: number[] } | null>(json, 'MinMaxScaler');
    const m = new MinMaxScaler(j.params);
    if (j.state) m.state = { min: f64(j.state.min), max: f64(j.state.max) };
    return m;
  }
}
