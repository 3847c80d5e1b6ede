// Ridge and ordinary least squares by the normal equations on centred data:
//   (Xc^T Xc + alpha I) w = Xc^T (y - mean y),  intercept = mean y - mean x . w
// solved by Cholesky (alpha > 0 makes the matrix positive definite). Centring keeps the
// intercept unpenalised, as in scikit-learn.
import { InvalidParameterError } from '../core/errors.ts';
import { checkXy, resolveParams, type Regressor, type SerializedEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';
import { centeredGram, centeredXty, colMeans, solveSPD } from './linalg.ts';
import { LinearRegressorBase } from './base.ts';

export interface RidgeParams { alpha: number; fitIntercept: boolean }
export interface LinearRegressionParams { fitIntercept: boolean }

function fitLeastSquares(kind: string, X: Matrix, y: Float64Array, alpha: number, fitIntercept: boolean) {
  checkXy(kind, X, y);
  const d = X.cols, n = X.rows;
  const xMean = fitIntercept ? colMeans(X) : null;
  let yMean = 0;
  if (fitIntercept) { for (let i = 0; i < n; i++) yMean += y[i]!; yMean /= n; }
  const G = centeredGram(X, xMean);
  for (let j = 0; j < d; j++) G[j * d + j] += alpha;
  const w = solveSPD(G, d, centeredXty(X, xMean, y, yMean));
  let b = yMean;
  if (xMean) for (let j = 0; j < d; j++) b -= xMean[j]! * w[j]!;
  return { coef: w, intercept: Float64Array.of(b), nFeatures: d, nOutputs: 1, postTransform: 'none' as const };
}

export class Ridge extends LinearRegressorBase<RidgeParams> implements Regressor<RidgeParams> {
  readonly kind = 'Ridge';
  readonly params: RidgeParams;

  constructor(params: Partial<RidgeParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { alpha: 1, fitIntercept: true }, params);
    if (!(this.params.alpha >= 0) || !Number.isFinite(this.params.alpha)) {
      throw new InvalidParameterError(`Ridge: alpha must be a finite number >= 0, got ${this.params.alpha}`);
    }
  }

  fit(X: Matrix, y: Float64Array): this {
    this.state = fitLeastSquares(this.kind, X, y, this.params.alpha, this.params.fitIntercept);
    return this;
  }

  static fromJSON(json: SerializedEstimator): Ridge {
    return new Ridge((json.params ?? {}) as Partial<RidgeParams>).restore(json);
  }
}

export class LinearRegression extends LinearRegressorBase<LinearRegressionParams> implements Regressor<LinearRegressionParams> {
  readonly kind = 'LinearRegression';
  readonly params: LinearRegressionParams;

  constructor(params: Partial<LinearRegressionParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { fitIntercept: true }, params);
  }

  /** Least squares; for rank-deficient X (e.g. a full one-hot block) the minimum-norm solution. */
  fit(X: Matrix, y: Float64Array): this {
    this.state = fitLeastSquares(this.kind, X, y, 0, this.params.fitIntercept);
    return this;
  }

  static fromJSON(json: SerializedEstimator): LinearRegression {
    return new LinearRegression((json.params ?? {}) as Partial<LinearRegressionParams>).restore(json);
  }
}
