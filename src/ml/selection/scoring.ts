// Named scores for cross-validation and search. Each knows whether greater is better, so search
// can rank any of them; classification scores that need probabilities call predictProba.
import { InvalidParameterError } from '../core/errors.ts';
import type { Matrix } from '../core/matrix.ts';
import { accuracy, logLoss, mae, mape, r2, rmse, rocAuc } from '../metrics/index.ts';

export interface Scorer { greaterIsBetter: boolean; score(model: any, X: Matrix, y: Float64Array): number }

const onPred = (f: (a: Float64Array, b: Float64Array) => number, greaterIsBetter: boolean): Scorer =>
  ({ greaterIsBetter, score: (m, X, y) => f(y, m.predict(X)) });

export const SCORERS: Record<string, Scorer> = {
  rmse: onPred(rmse, false),
  mae: onPred(mae, false),
  mape: onPred(mape, false),
  r2: onPred(r2, true),
  accuracy: onPred(accuracy, true),
  logLoss: { greaterIsBetter: false, score: (m, X, y) => logLoss(y, m.predictProba(X)) },
  rocAuc: { greaterIsBetter: true, score: (m, X, y) => rocAuc(y, m.predictProba(X)) },
};

export function getScorer(name: string): Scorer {
  const s = SCORERS[name];
  if (!s) throw new InvalidParameterError(`unknown scoring "${name}" (known: ${Object.keys(SCORERS).join(', ')})`);
  return s;
}
