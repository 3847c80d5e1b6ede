// The fitted form of linear models, shared by the estimators and ONNX export
// (LinearRegressor / LinearClassifier operators).

/** y = X . coef[k]^T + intercept[k], for k in outputs; coef is nOutputs x nFeatures row-major. */
export interface LinearModelState {
  coef: Float64Array;
  intercept: Float64Array;
  nFeatures: number;
  nOutputs: number;
  /** 'none' for regression; 'logistic' / 'softmax' for classifiers */
  postTransform: 'none' | 'logistic' | 'softmax';
}
