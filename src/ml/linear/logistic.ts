// Logistic regression, binary and multinomial (softmax), L2-penalised, by L-BFGS. The objective
// is scikit-learn's (lbfgs solver):  C * sum_i loss_i + 0.5 ||W||^2, intercept unpenalised.
// The optimiser works on standardised features (a change of variables w = v / sd, with the
// penalty written in terms of w), which leaves the optimum unchanged but makes the problem far
// better conditioned when raw features have very different scales.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { checkXy, requireFitted, resolveParams, type Classifier, type SerializedEstimator, BaseEstimator } from '../core/estimator.ts';
import type { LinearModelState } from '../core/linear-model.ts';
import type { Matrix } from '../core/matrix.ts';
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import { expectKind } from '../data/json.ts';
import { decision, stateFromJSON, stateToJSON, type LinearStateJSON } from './base.ts';
import { lbfgs } from './lbfgs.ts';

export interface LogisticRegressionParams { C: number; fitIntercept: boolean; maxIter: number; tol: number }

export class LogisticRegression extends BaseEstimator<LogisticRegressionParams> implements Classifier<LogisticRegressionParams> {
  readonly kind = 'LogisticRegression';
  readonly params: LogisticRegressionParams;
  private state: LinearModelState | null = null;
  private classList: number[] = [];
  private nIter = 0;

  constructor(params: Partial<LogisticRegressionParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { C: 1, fitIntercept: true, maxIter: 500, tol: 1e-8 }, params);
    if (!(this.params.C > 0)) throw new InvalidParameterError(`LogisticRegression: C must be > 0, got ${this.params.C}`);
    if (!(this.params.maxIter >= 1)) throw new InvalidParameterError(`LogisticRegression: maxIter must be >= 1, got ${this.params.maxIter}`);
  }

  get classes(): number[] { requireFitted(this.kind, this.state); return this.classList.slice(); }
  get iterations(): number { return this.nIter; }
  get modelState(): LinearModelState { return requireFitted(this.kind, this.state); }

  fit(X: Matrix, y: Float64Array): this {
    checkXy(this.kind, X, y);
    const classes = [...new Set(y)].sort((a, b) => a - b);
    if (classes.length < 2) throw new InvalidInputError(`LogisticRegression: y has a single class (${classes[0]}); need at least 2`);
    const idx = new Map(classes.map((c, k) => [c, k]));
    const yi = Int32Array.from(y, (v) => idx.get(v)!);
    const { rows: n, cols: d } = X;
    // standardise (see the header comment)
    const mean = new Float64Array(d), sd = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j]! / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) { const e = X.data[i * d + j]! - mean[j]!; sd[j] += (e * e) / n; }
    for (let j = 0; j < d; j++) { sd[j] = Math.sqrt(sd[j]!); if (!(sd[j]! > 0)) sd[j] = 1; if (!this.params.fitIntercept) mean[j] = 0; }
    const Z = new Float64Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) Z[i * d + j] = (X.data[i * d + j]! - mean[j]!) / sd[j]!;
    const K = classes.length === 2 ? 1 : classes.length;
    const P = d + 1; // per output: d weights + intercept
    const C = this.params.C, fitB = this.params.fitIntercept;
    const invSd2 = sd.map((s) => 1 / (s * s));
    const scores = new Float64Array(K);
    // f and gradient divided by n, so tol means the same thing whatever n is
    const fg = (v: Float64Array, g: Float64Array): number => {
      g.fill(0);
      let f = 0;
      for (let i = 0; i < n; i++) {
        const o = i * d;
        for (let k = 0; k < K; k++) {
          let z = fitB ? v[k * P + d]! : 0;
          for (let j = 0; j < d; j++) z += Z[o + j]! * v[k * P + j]!;
          scores[k] = z;
        }
        if (K === 1) {
          const z = scores[0]!, t = yi[i]!;
          f += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t * z;
          const r = 1 / (1 + Math.exp(-z)) - t;
          for (let j = 0; j < d; j++) g[j] += r * Z[o + j]!;
          if (fitB) g[d] += r;
        } else {
          let mx = -Infinity;
          for (let k = 0; k < K; k++) mx = Math.max(mx, scores[k]!);
          let se = 0;
          for (let k = 0; k < K; k++) { scores[k] = Math.exp(scores[k]! - mx); se += scores[k]!; }
          const t = yi[i]!;
          f += Math.log(se) - Math.log(scores[t]!);
          for (let k = 0; k < K; k++) {
            const r = scores[k]! / se - (k === t ? 1 : 0);
            if (r === 0) continue;
            for (let j = 0; j < d; j++) g[k * P + j] += r * Z[o + j]!;
            if (fitB) g[k * P + d] += r;
          }
        }
      }
      f *= C; for (let i = 0; i < g.length; i++) g[i] *= C;
      for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) {
        const vj = v[k * P + j]!;
        f += 0.5 * vj * vj * invSd2[j]!;
        g[k * P + j] += vj * invSd2[j]!;
      }
      for (let i = 0; i < g.length; i++) g[i] /= n;
      return f / n;
    };
    const res = lbfgs(fg, new Float64Array(K * P), { maxIter: this.params.maxIter, tol: this.params.tol });
    this.nIter = res.iterations;
    const coef = new Float64Array(K * d), intercept = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let b = fitB ? res.x[k * P + d]! : 0;
      for (let j = 0; j < d; j++) {
        const w = res.x[k * P + j]! / sd[j]!;
        coef[k * d + j] = w;
        b -= w * mean[j]!;
      }
      intercept[k] = b;
    }
    this.classList = classes;
    this.state = { coef, intercept, nFeatures: d, nOutputs: K, postTransform: K === 1 ? 'logistic' : 'softmax' };
    return this;
  }

  /** raw scores: n x 1 (binary, log-odds of the second class) or n x K */
  decisionFunction(X: Matrix): Matrix {
    return decision(this.kind, requireFitted(this.kind, this.state), X);
  }

  predictProba(X: Matrix): Matrix {
    const z = this.decisionFunction(X);
    const n = z.rows, K = z.cols;
    if (K === 1) {
      const out = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) { const p = 1 / (1 + Math.exp(-z.data[i]!)); out[2 * i] = 1 - p; out[2 * i + 1] = p; }
      return { rows: n, cols: 2, data: out };
    }
    const out = new Float64Array(n * K);
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, z.data[i * K + k]!);
      let s = 0;
      for (let k = 0; k < K; k++) { const e = Math.exp(z.data[i * K + k]! - mx); out[i * K + k] = e; s += e; }
      for (let k = 0; k < K; k++) out[i * K + k] /= s;
    }
    return { rows: n, cols: K, data: out };
  }

  predict(X: Matrix): Float64Array {
    const p = this.predictProba(X);
    const out = new Float64Array(p.rows);
    for (let i = 0; i < p.rows; i++) {
      let best = 0;
      for (let k = 1; k < p.cols; k++) if (p.data[i * p.cols + k]! > p.data[i * p.cols + best]!) best = k;
      out[i] = this.classList[best]!;
    }
    return out;
  }

  toOnnxSpec(): OnnxModelSpec {
    const s = requireFitted(this.kind, this.state);
    return {
      inputs: Array.from({ length: s.nFeatures }, (_, j) => ({ name: `f${j}`, kind: 'numeric' as const })),
      model: { type: 'linear', task: 'classification', state: s, classes: this.classList.slice() },
    };
  }

  toJSON(): SerializedEstimator<LogisticRegressionParams> {
    return {
      kind: this.kind, format: 1, params: { ...this.params },
      state: this.state ? { ...stateToJSON(this.state), classes: this.classList.slice(), nIter: this.nIter } : null,
    };
  }

  static fromJSON(json: SerializedEstimator): LogisticRegression {
    const j = expectKind<LogisticRegressionParams, LinearStateJSON | null>(json, 'LogisticRegression');
    const m = new LogisticRegression(j.params);
    if (j.state) { m.state = stateFromJSON(j.state); m.classList = (j.state.classes ?? []).slice(); m.nIter = j.state.nIter ?? 0; }
    return m;
  }
}
