// Cross-validation: fit a fresh estimator on each fold's train rows, score on its test rows.
import { InvalidInputError } from '../core/errors.ts';
import { takeRows, type Matrix } from '../core/matrix.ts';
import { createSupervised, type SupervisedModel } from '../registry.ts';
import { getScorer } from './scoring.ts';
import type { Split } from './splits.ts';

export interface CvResult { scores: number[]; mean: number; std: number; fitSeconds: number[] }

/** `estimator` is a kind from the registry (with params) or a factory returning a fresh estimator. */
export function crossValidate(
  estimator: { kind: string; params?: Record<string, unknown> } | (() => SupervisedModel),
  X: Matrix, y: Float64Array, folds: Split[], scoring: string,
): CvResult {
  if (y.length !== X.rows) throw new InvalidInputError(`crossValidate: y has ${y.length} values but X has ${X.rows} rows`);
  const scorer = getScorer(scoring);
  const make = typeof estimator === 'function' ? estimator : () => createSupervised(estimator.kind, estimator.params ?? {});
  const scores: number[] = [], fitSeconds: number[] = [];
  for (const f of folds) {
    const m = make();
    const t = performance.now();
    m.fit(takeRows(X, f.train), Float64Array.from(f.train, (i) => y[i]!));
    fitSeconds.push((performance.now() - t) / 1000);
    scores.push(scorer.score(m, takeRows(X, f.test), Float64Array.from(f.test, (i) => y[i]!)));
  }
  const mean = scores.reduce((s, v) => s + v, 0) / scores.length;
  const std = Math.sqrt(scores.reduce((s, v) => s + (v - mean) ** 2, 0) / scores.length);
  return { scores, mean, std, fitSeconds };
}
