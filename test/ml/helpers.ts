// Data generators and an independent dense solver shared by the ML tests.
import { Rng } from '../../src/ml/core/rng.ts';
import type { Matrix } from '../../src/ml/core/matrix.ts';

export function gaussian(n: number, d: number, seed: number, scale = 1): Matrix {
  const r = new Rng(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = r.normal() * scale;
  return { rows: n, cols: d, data };
}

/** Blobs around the given centres, `per` points each, standard deviation sd; labels are the centre index. */
export function blobs(centres: number[][], per: number, sd: number, seed: number): { X: Matrix; y: Float64Array } {
  const r = new Rng(seed);
  const d = centres[0]!.length, n = centres.length * per;
  const data = new Float64Array(n * d), y = new Float64Array(n);
  let i = 0;
  for (let c = 0; c < centres.length; c++) {
    for (let p = 0; p < per; p++, i++) {
      y[i] = c;
      for (let j = 0; j < d; j++) data[i * d + j] = centres[c]![j]! + sd * r.normal();
    }
  }
  return { X: { rows: n, cols: d, data }, y };
}

/** Gaussian elimination with partial pivoting: a solver that shares nothing with src/ml/linear. */
export function gaussSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k] -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-12));
  return m;
}
