// Helpers for toJSON()/fromJSON(): typed arrays travel as plain number arrays (JSON keeps every
// double exactly: JSON.stringify writes the shortest string that parses back to the same value).
import { InvalidInputError } from '../core/errors.ts';
import type { SerializedEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';

export const arr = (a: ArrayLike<number>): number[] => Array.from(a);
export const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);

export interface MatrixJSON { rows: number; cols: number; data: number[] }
export const matrixToJSON = (m: Matrix): MatrixJSON => ({ rows: m.rows, cols: m.cols, data: arr(m.data) });
export const matrixFromJSON = (m: MatrixJSON): Matrix => ({ rows: m.rows, cols: m.cols, data: f64(m.data) });

/** Checks the envelope of a serialised estimator before a class reads its state. */
export function expectKind<P, S>(json: SerializedEstimator<any, any>, kind: string): SerializedEstimator<P, S> {
  if (!json || typeof json !== 'object') throw new InvalidInputError(`${kind}.fromJSON: expected an object`);
  if (json.kind !== kind) throw new InvalidInputError(`${kind}.fromJSON: kind is "${json.kind}", expected "${kind}"`);
  if (json.format !== 1) throw new InvalidInputError(`${kind}.fromJSON: unsupported format ${String(json.format)}`);
  return json;
}
