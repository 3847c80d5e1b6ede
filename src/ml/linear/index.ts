export { LinearRegression, Ridge, type RidgeParams, type LinearRegressionParams } from './ridge.ts';
export { Lasso, type LassoParams } from './lasso.ts';
export { LogisticRegression, type LogisticRegressionParams } from './logistic.ts';
