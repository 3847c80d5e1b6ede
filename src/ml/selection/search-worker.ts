// Hyper-parameter trials for search.ts on the thread pool: the shared X / y are set once per
// thread, then each task is one parameter set, cross-validated, answered with its scores.
import { crossValidate, type CvResult } from './cross-validate.ts';
import type { Split } from './splits.ts';
import type { Matrix } from '../core/matrix.ts';

interface SearchData { X: SharedArrayBuffer; y: SharedArrayBuffer; rows: number; cols: number; folds: Split[]; kind: string; scoring: string }
let data: { X: Matrix; y: Float64Array; folds: Split[]; kind: string; scoring: string } | null = null;

/** This thread's training data for the search's trials (null when the search is over). */
export function setData(d: SearchData | null): void {
  data = d && { X: { rows: d.rows, cols: d.cols, data: new Float64Array(d.X) }, y: new Float64Array(d.y), folds: d.folds, kind: d.kind, scoring: d.scoring };
}

export function trial(params: Record<string, unknown>): CvResult | { error: string } {
  const { X, y, folds, kind, scoring } = data!;
  try {
    return crossValidate({ kind, params }, X, y, folds, scoring);
  } catch (e) {
    return { error: (e as Error).message };
  }
}
