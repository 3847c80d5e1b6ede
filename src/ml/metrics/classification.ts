// Classification metrics. Labels are class indices 0..C-1 (as the classifiers predict them).
import { InvalidInputError } from '../core/errors.ts';
import type { Matrix } from '../core/matrix.ts';
import { checkPair } from './regression.ts';

export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  checkPair('accuracy', yTrue, yPred);
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

/**
 * Cross-entropy. `proba` is either an n x C matrix of class probabilities, or (binary) a vector
 * of P(class 1). Probabilities are clipped to [eps, 1 - eps] so a confident mistake is finite.
 */
export function logLoss(yTrue: ArrayLike<number>, proba: Matrix | ArrayLike<number>, eps = 1e-15): number {
  const n = yTrue.length;
  if (n === 0) throw new InvalidInputError('logLoss: empty input');
  let s = 0;
  if ('data' in proba && 'cols' in proba) {
    if (proba.rows !== n) throw new InvalidInputError(`logLoss: y_true has ${n} values but proba has ${proba.rows} rows`);
    const C = proba.cols;
    for (let i = 0; i < n; i++) {
      const c = yTrue[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= C) throw new InvalidInputError(`logLoss: y_true[${i}] = ${c} is not a class index in 0..${C - 1}`);
      // renormalise like sklearn, so rows that do not sum to 1 are not rewarded
      let rowSum = 0;
      for (let k = 0; k < C; k++) rowSum += Math.min(Math.max(proba.data[i * C + k]!, eps), 1 - eps);
      const p = Math.min(Math.max(proba.data[i * C + c]!, eps), 1 - eps) / rowSum;
      s -= Math.log(p);
    }
  } else {
    checkPair('logLoss', yTrue, proba);
    for (let i = 0; i < n; i++) {
      const p = Math.min(Math.max(proba[i]!, eps), 1 - eps);
      const c = yTrue[i]!;
      if (c !== 0 && c !== 1) throw new InvalidInputError(`logLoss: y_true[${i}] = ${c}; binary labels must be 0 or 1`);
      s -= c === 1 ? Math.log(p) : Math.log(1 - p);
    }
  }
  return s / n;
}

/**
 * Binary ROC AUC from scores: the Mann-Whitney statistic with average ranks for ties, equal to
 * the area under the ROC curve with trapezoids.
 */
export function rocAucBinary(yTrue: ArrayLike<number>, score: ArrayLike<number>): number {
  checkPair('rocAuc', yTrue, score);
  const n = yTrue.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  let nPos = 0, rankSumPos = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && score[idx[j + 1]!] === score[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      const y = yTrue[idx[k]!]!;
      if (y !== 0 && y !== 1) throw new InvalidInputError(`rocAuc: y_true[${idx[k]}] = ${y}; binary labels must be 0 or 1`);
      if (y === 1) { nPos++; rankSumPos += avgRank; }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new InvalidInputError('rocAuc: only one class present in y_true; AUC is undefined');
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * ROC AUC. Binary: scores as a vector of P(class 1), or an n x 2 proba matrix.
 * Multiclass (n x C, C > 2): macro average of one-vs-rest AUCs (sklearn multi_class='ovr').
 */
export function rocAuc(yTrue: ArrayLike<number>, score: Matrix | ArrayLike<number>): number {
  if (!('data' in score && 'cols' in score)) return rocAucBinary(yTrue, score);
  const { rows, cols, data } = score;
  if (rows !== yTrue.length) throw new InvalidInputError(`rocAuc: y_true has ${yTrue.length} values but scores have ${rows} rows`);
  const col = (k: number) => { const c = new Float64Array(rows); for (let i = 0; i < rows; i++) c[i] = data[i * cols + k]!; return c; };
  if (cols === 2) return rocAucBinary(yTrue, col(1));
  let s = 0;
  for (let k = 0; k < cols; k++) {
    const yk = new Float64Array(rows);
    for (let i = 0; i < rows; i++) yk[i] = yTrue[i] === k ? 1 : 0;
    s += rocAucBinary(yk, col(k));
  }
  return s / cols;
}
