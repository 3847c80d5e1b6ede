// Seeded data sets with known answers for the tree tests.
import { Rng } from '../../../src/ml/core/rng.ts';
import type { Matrix } from '../../../src/ml/core/matrix.ts';

export function uniformX(n: number, d: number, seed: number): Matrix {
  const rng = new Rng(seed);
  return { rows: n, cols: d, data: Float64Array.from({ length: n * d }, () => rng.random()) };
}

/**
 * Uniform values on the grid k / 250: at most 251 distinct values per column, so histogram trees
 * (256 bins) can put a threshold between any two of them, as an exact splitter would.
 */
export function gridX(n: number, d: number, seed: number): Matrix {
  const X = uniformX(n, d, seed);
  for (let k = 0; k < X.data.length; k++) X.data[k] = Math.round(X.data[k]! * 250) / 250;
  return X;
}

/** y = 10 on x0 <= 0.3, 20 on (0.3, 0.7], 35 above; other columns are noise. */
export function stepTarget(X: Matrix): Float64Array {
  return Float64Array.from({ length: X.rows }, (_, i) => {
    const x = X.data[i * X.cols]!;
    return x <= 0.3 ? 10 : x <= 0.7 ? 20 : 35;
  });
}

/** K classes by bands of x0 + x1, separable by axis-aligned splits only approximately, so use bands of x0. */
export function bandClasses(X: Matrix, K: number): Float64Array {
  return Float64Array.from({ length: X.rows }, (_, i) => Math.min(K - 1, Math.floor(X.data[i * X.cols]! * K)));
}

export function accuracy(a: Float64Array, b: Float64Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) c++;
  return c / a.length;
}

export function rmse(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

/** A matrix with numeric columns plus a one-hot block (exercises feature bundling). */
export function mixedX(n: number, seed: number): { X: Matrix; cat: Int32Array } {
  const rng = new Rng(seed);
  const d = 3 + 4;
  const data = new Float64Array(n * d);
  const cat = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    data[i * d] = rng.random(); data[i * d + 1] = rng.normal(); data[i * d + 2] = Math.round(rng.random() * 10);
    cat[i] = rng.int(4);
    data[i * d + 3 + cat[i]!] = 1;
  }
  return { X: { rows: n, cols: d, data }, cat };
}
