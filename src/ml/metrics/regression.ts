// Regression metrics, defined as scikit-learn defines them.
import { InvalidInputError } from '../core/errors.ts';

export function checkPair(name: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length) throw new InvalidInputError(`${name}: y_true has ${yTrue.length} values but y_pred has ${yPred.length}`);
  if (yTrue.length === 0) throw new InvalidInputError(`${name}: empty input`);
}

export function mse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('mse', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) { const e = yTrue[i]! - yPred[i]!; s += e * e; }
  return s / yTrue.length;
}

export function rmse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return Math.sqrt(mse(yTrue, yPred));
}

export function mae(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('mae', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!);
  return s / yTrue.length;
}

/** 1 - SS_res / SS_tot; a constant y_true gives 1 for a perfect fit and 0 otherwise (sklearn). */
export function r2(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('r2', yTrue, yPred);
  const n = yTrue.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i]!;
  mean /= n;
  let ssRes = 0, ssTot = 0;
  for (let i = 0; i < n; i++) {
    const e = yTrue[i]! - yPred[i]!, t = yTrue[i]! - mean;
    ssRes += e * e; ssTot += t * t;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** Mean absolute percentage error as a fraction (0.1 = 10%); |y_true| floored at machine epsilon like sklearn. */
export function mape(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('mape', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!) / Math.max(Math.abs(yTrue[i]!), Number.EPSILON);
  return s / yTrue.length;
}
