// Lasso by cyclic coordinate descent on the Gram matrix (d is small next to n, so each sweep is
// O(d^2) instead of O(n d)). Objective as scikit-learn's:
//   (1 / 2n) ||y - X w - b||^2 + alpha ||w||_1
import { InvalidParameterError } from '../core/errors.ts';
import { checkXy, resolveParams, type Regressor, type SerializedEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';
import { centeredGram, centeredXty, colMeans } from './linalg.ts';
import { LinearRegressorBase } from './base.ts';

export interface LassoParams { alpha: number; fitIntercept: boolean; maxIter: number; tol: number }

export class Lasso extends LinearRegressorBase<LassoParams> implements Regressor<LassoParams> {
  readonly kind = 'Lasso';
  readonly params: LassoParams;

  constructor(params: Partial<LassoParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { alpha: 1, fitIntercept: true, maxIter: 1000, tol: 1e-4 }, params);
    if (!(this.params.alpha >= 0)) throw new InvalidParameterError(`Lasso: alpha must be >= 0, got ${this.params.alpha}`);
    if (!(this.params.maxIter >= 1)) throw new InvalidParameterError(`Lasso: maxIter must be >= 1, got ${this.params.maxIter}`);
  }

  get iterations(): number { return this.nIter; }

  fit(X: Matrix, y: Float64Array): this {
    checkXy(this.kind, X, y);
    const d = X.cols, n = X.rows;
    const xMean = this.params.fitIntercept ? colMeans(X) : null;
    let yMean = 0;
    if (xMean) { for (let i = 0; i < n; i++) yMean += y[i]!; yMean /= n; }
    const G = centeredGram(X, xMean), q = centeredXty(X, xMean, y, yMean);
    const w = new Float64Array(d), Gw = new Float64Array(d);
    const thresh = this.params.alpha * n;
    let it = 0;
    for (; it < this.params.maxIter; it++) {
      let maxDelta = 0, maxW = 0;
      for (let j = 0; j < d; j++) {
        const gjj = G[j * d + j]!;
        if (gjj === 0) continue; // constant column: its coefficient stays 0
        const wj = w[j]!;
        const rho = q[j]! - Gw[j]! + gjj * wj;
        const nw = rho > thresh ? (rho - thresh) / gjj : rho < -thresh ? (rho + thresh) / gjj : 0;
        const delta = nw - wj;
        if (delta !== 0) {
          w[j] = nw;
          for (let k = 0; k < d; k++) Gw[k] += G[k * d + j]! * delta;
        }
        maxDelta = Math.max(maxDelta, Math.abs(delta));
        maxW = Math.max(maxW, Math.abs(nw));
      }
      // sklearn's stopping rule: the largest update is small relative to the largest coefficient
      if (maxW === 0 || maxDelta / maxW < this.params.tol) { it++; break; }
    }
    let b = yMean;
    if (xMean) for (let j = 0; j < d; j++) b -= xMean[j]! * w[j]!;
    this.nIter = it;
    this.state = { coef: w, intercept: Float64Array.of(b), nFeatures: d, nOutputs: 1, postTransform: 'none' };
    return this;
  }

  static fromJSON(json: SerializedEstimator): Lasso {
    return new Lasso((json.params ?? {}) as Partial<LassoParams>).restore(json);
  }
}
