// PCA by eigen-decomposition of the d x d covariance matrix (d is a feature count, so Jacobi on
// it is cheap and exact; the O(n d^2) Gram pass dominates). Components are the eigenvectors by
// decreasing variance, each signed so its largest-magnitude loading is positive (reproducible).
import { InvalidParameterError } from '../core/errors.ts';
import { checkCols, checkXy, requireFitted, resolveParams, type SerializedEstimator, type Transformer, BaseEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';
import { arr, expectKind, f64 } from '../data/json.ts';
import { centeredGram, colMeans, symmetricEigen } from '../linear/linalg.ts';

export interface PCAParams { nComponents: number; whiten: boolean }
interface State { mean: Float64Array; components: Float64Array; variance: Float64Array; ratio: Float64Array; k: number; d: number; nSamples: number }

export class PCA extends BaseEstimator<PCAParams> implements Transformer<PCAParams> {
  readonly kind = 'PCA';
  readonly params: PCAParams;
  private state: State | null = null;

  /** nComponents 0 keeps all; a value in (0, 1) keeps enough components to explain that share of the variance */
  constructor(params: Partial<PCAParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { nComponents: 2, whiten: false }, params);
    if (!(this.params.nComponents >= 0)) throw new InvalidParameterError(`PCA: nComponents must be >= 0, got ${this.params.nComponents}`);
  }

  fit(X: Matrix): this {
    checkXy(this.kind, X);
    const { rows: n, cols: d } = X;
    const nc = this.params.nComponents;
    if (nc >= 1 && (!Number.isInteger(nc) || nc > d)) {
      throw new InvalidParameterError(`PCA: nComponents ${nc} must be an integer <= the number of features (${d})`);
    }
    const mean = colMeans(X);
    const C = centeredGram(X, mean);
    const denom = Math.max(n - 1, 1);
    for (let t = 0; t < C.length; t++) C[t] /= denom;
    const { values, vectors } = symmetricEigen(C, d);
    const total = values.reduce((s, v) => s + Math.max(v, 0), 0);
    let k = nc === 0 ? d : nc >= 1 ? nc : 0;
    if (k === 0) { // fraction of variance
      let acc = 0;
      for (k = 0; k < d && acc < nc * total; k++) acc += Math.max(values[k]!, 0);
      k = Math.max(k, 1);
    }
    const components = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) components[c * d + j] = vectors[j * d + c]!;
    const variance = Float64Array.from(values.slice(0, k), (v) => Math.max(v, 0));
    const ratio = variance.map((v) => (total > 0 ? v / total : 0));
    this.state = { mean, components, variance, ratio, k, d, nSamples: n };
    return this;
  }

  /** k x d, one principal axis per row */
  get components(): Matrix { const s = requireFitted(this.kind, this.state); return { rows: s.k, cols: s.d, data: s.components.slice() }; }
  get explainedVariance(): Float64Array { return requireFitted(this.kind, this.state).variance.slice(); }
  get explainedVarianceRatio(): Float64Array { return requireFitted(this.kind, this.state).ratio.slice(); }
  get mean(): Float64Array { return requireFitted(this.kind, this.state).mean.slice(); }

  transform(X: Matrix): Matrix {
    const s = requireFitted(this.kind, this.state);
    checkXy(this.kind, X);
    checkCols(this.kind, X, s.d);
    const { rows: n } = X, { d, k } = s;
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let z = 0;
        for (let j = 0; j < d; j++) z += (X.data[i * d + j]! - s.mean[j]!) * s.components[c * d + j]!;
        out[i * k + c] = this.params.whiten ? z / Math.sqrt(s.variance[c]! || 1) : z;
      }
    }
    return { rows: n, cols: k, data: out };
  }

  fitTransform(X: Matrix): Matrix { return this.fit(X).transform(X); }

  inverseTransform(Z: Matrix): Matrix {
    const s = requireFitted(this.kind, this.state);
    checkCols(this.kind, Z, s.k);
    const { d, k } = s, out = new Float64Array(Z.rows * d);
    for (let i = 0; i < Z.rows; i++) {
      for (let j = 0; j < d; j++) {
        let x = s.mean[j]!;
        for (let c = 0; c < k; c++) x += Z.data[i * k + c]! * (this.params.whiten ? Math.sqrt(s.variance[c]! || 1) : 1) * s.components[c * d + j]!;
        out[i * d + j] = x;
      }
    }
    return { rows: Z.rows, cols: d, data: out };
  }

  toJSON(): SerializedEstimator<PCAParams> {
    const s = this.state;
    return {
      kind: this.kind, format: 1, params: { ...this.params },
      state: s
        ? { mean: arr(s.mean), components: arr(s.components), variance: arr(s.variance), ratio: arr(s.ratio), k: s.k, d: s.d, nSamples: s.nSamples }
        : null,
    };
  }

  static fromJSON(json: SerializedEstimator): PCA {
    type J = { mean: number[]; components: number[]; variance: number[]; ratio: number[]; k: number; d: number; nSamples: number } | null;
    const j = expectKind<PCAParams, J>(json, 'PCA');
    const m = new PCA(j.params);
    if (j.state) {
      const st = j.state;
      m.state = { ...st, mean: f64(st.mean), components: f64(st.components), variance: f64(st.variance), ratio: f64(st.ratio) };
    }
    return m;
  }
}
