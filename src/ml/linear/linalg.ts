// Small dense linear algebra on row-major Float64Arrays: what the linear models and PCA need
// (Gram matrices, Cholesky solves, symmetric eigen-decomposition). d is small (features), n is
// large (rows), so every O(n) pass is written as one sweep over X.
import type { Matrix } from '../core/matrix.ts';

/** Column means of X (length cols). */
export function colMeans(X: Matrix, weights?: Float64Array): Float64Array {
  const { rows: n, cols: d, data } = X;
  const m = new Float64Array(d);
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    wsum += w;
    const o = i * d;
    for (let j = 0; j < d; j++) m[j] += w * data[o + j]!;
  }
  for (let j = 0; j < d; j++) m[j] /= wsum;
  return m;
}

/**
 * G = (X - center)^T (X - center), upper and lower filled (d x d). Centering before the product
 * keeps the normal equations well conditioned when features have large offsets.
 */
export function centeredGram(X: Matrix, center: Float64Array | null): Float64Array {
  const { rows: n, cols: d, data } = X;
  const G = new Float64Array(d * d);
  // rows are taken in blocks transposed to column-major, so each G[a][b] update is one dot
  // product over the block with its sum in a register (far fewer stores than row-by-row updates)
  const B = 256;
  const T = new Float64Array(d * B);
  for (let start = 0; start < n; start += B) {
    const m = Math.min(B, n - start);
    for (let i = 0; i < m; i++) {
      const o = (start + i) * d;
      for (let j = 0; j < d; j++) T[j * B + i] = data[o + j]! - (center ? center[j]! : 0);
    }
    for (let a = 0; a < d; a++) {
      const oa = a * B;
      for (let b = a; b < d; b++) {
        const ob = b * B;
        let s0 = 0, s1 = 0;
        let i = 0;
        for (; i + 1 < m; i += 2) { s0 += T[oa + i]! * T[ob + i]!; s1 += T[oa + i + 1]! * T[ob + i + 1]!; }
        if (i < m) s0 += T[oa + i]! * T[ob + i]!;
        G[a * d + b] += s0 + s1;
      }
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) G[a * d + b] = G[b * d + a]!;
  return G;
}

/** X_c^T (y - yMean), with X centred by center. */
export function centeredXty(X: Matrix, center: Float64Array | null, y: Float64Array, yMean: number): Float64Array {
  const { rows: n, cols: d, data } = X;
  const out = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const yi = y[i]! - yMean;
    const o = i * d;
    for (let j = 0; j < d; j++) out[j] += (data[o + j]! - (center ? center[j]! : 0)) * yi;
  }
  return out;
}

/**
 * In-place Cholesky factorisation A = L L^T (lower triangle of A overwritten by L).
 * Returns false when A is not positive definite (a pivot <= tiny), so callers can fall back.
 */
export function cholesky(A: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) {
    let s = A[j * d + j]!;
    for (let k = 0; k < j; k++) s -= A[j * d + k]! * A[j * d + k]!;
    if (!(s > 1e-300)) return false;
    const ljj = Math.sqrt(s);
    A[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j]!;
      for (let k = 0; k < j; k++) t -= A[i * d + k]! * A[j * d + k]!;
      A[i * d + j] = t / ljj;
    }
  }
  return true;
}

/** Solves L L^T x = b given the factor from cholesky(). */
export function choleskySolve(L: Float64Array, d: number, b: Float64Array): Float64Array {
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * d + k]! * z[k]!;
    z[i] = s / L[i * d + i]!;
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < d; k++) s -= L[k * d + i]! * x[k]!;
    x[i] = s / L[i * d + i]!;
  }
  return x;
}

/**
 * Solves the symmetric positive semi-definite system A x = b. Cholesky first; when A is
 * singular (collinear one-hot blocks with alpha = 0) the minimum-norm least-squares solution via
 * the eigen-decomposition, as scikit-learn's lstsq would give.
 */
export function solveSPD(A: Float64Array, d: number, b: Float64Array): Float64Array {
  const L = A.slice();
  if (cholesky(L, d)) {
    const x = choleskySolve(L, d, b);
    // one step of iterative refinement: recovers the last digits lost to rounding in L
    const r = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let s = b[i]!;
      for (let k = 0; k < d; k++) s -= A[i * d + k]! * x[k]!;
      r[i] = s;
    }
    const dx = choleskySolve(L, d, r);
    for (let i = 0; i < d; i++) x[i] += dx[i]!;
    return x;
  }
  const { values, vectors } = symmetricEigen(A, d);
  const tol = Math.max(...values.map(Math.abs)) * d * 1e-13;
  const x = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    const lam = values[k]!;
    if (Math.abs(lam) <= tol) continue;
    let proj = 0;
    for (let i = 0; i < d; i++) proj += vectors[i * d + k]! * b[i]!;
    proj /= lam;
    for (let i = 0; i < d; i++) x[i] += proj * vectors[i * d + k]!;
  }
  return x;
}

/**
 * Eigen-decomposition of a symmetric d x d matrix by cyclic Jacobi rotations: slow for big d but
 * accurate to machine precision, and d here is a feature count. Values sorted descending;
 * vectors[i * d + k] is component i of eigenvector k.
 */
export function symmetricEigen(A0: Float64Array, d: number, maxSweeps = 100): { values: number[]; vectors: Float64Array } {
  const A = A0.slice();
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0, total = 0;
    for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) {
      const v = A[p * d + q]! * A[p * d + q]!;
      total += v;
      if (p !== q) off += v;
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q]!;
        if (apq === 0) continue;
        const app = A[p * d + p]!, aqq = A[q * d + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p]!, akq = A[k * d + q]!;
          A[k * d + p] = c * akp - s * akq;
          A[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k]!, aqk = A[q * d + k]!;
          A[p * d + k] = c * apk - s * aqk;
          A[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p]!, vkq = V[k * d + q]!;
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => A[b * d + b]! - A[a * d + a]!);
  const values = order.map((i) => A[i * d + i]!);
  const vectors = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const src = order[k]!;
    // sign convention: largest-magnitude component positive, so results are reproducible
    let big = 0;
    for (let i = 0; i < d; i++) if (Math.abs(V[i * d + src]!) > Math.abs(big)) big = V[i * d + src]!;
    const sgn = big < 0 ? -1 : 1;
    for (let i = 0; i < d; i++) vectors[i * d + k] = sgn * V[i * d + src]!;
  }
  return { values, vectors };
}

