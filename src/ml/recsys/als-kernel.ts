// The numeric core of implicit ALS, shared by the main thread and the workers so that one
// thread and many produce the same bits: every row's solve reads only the fixed side and the
// Gram matrix, and Gram partials are summed per fixed chunk in chunk order.
//
// Per row u (Hu, Koren, Volinsky 2008) the normal equations are
//   (YtY + reg I + sum_i (c_i - 1) y_i y_i^T) x_u = sum_i c_i y_i,   c_i = 1 + alpha * w_ui
// solved approximately by a few conjugate-gradient steps warm-started from the previous x_u
// (Takacs, Pilaszy, Tikk 2011), so the per-row cost is O(nnz_u * f + f^2), never f^3.

export type FactorArray = Float32Array | Float64Array;

export interface SideMatrix {
  indptr: Int32Array;
  indices: Int32Array;
  /** c - 1 = alpha * f(w) per stored interaction */
  cm1: Float32Array;
}

/**
 * Rows per Gram task: fixed (never derived from the thread count) for reproducibility, and large
 * enough that a task's work (rows x f^2) dwarfs its message round trip to a worker.
 */
export const GRAM_CHUNK = 4096;

/** Adds the upper triangle of sum_r y_r y_r^T over rows [lo, hi) into out (f x f). */
export function gramChunk(Y: FactorArray, f: number, lo: number, hi: number, out: Float64Array): void {
  out.fill(0);
  // four rows at a time: each out[a][b] update reads 4 values of a and b from L1
  let r = lo;
  for (; r + 4 <= hi; r += 4) {
    const o0 = r * f, o1 = o0 + f, o2 = o1 + f, o3 = o2 + f;
    for (let a = 0; a < f; a++) {
      const a0 = Y[o0 + a]!, a1 = Y[o1 + a]!, a2 = Y[o2 + a]!, a3 = Y[o3 + a]!;
      const base = a * f;
      for (let b = a; b < f; b++) {
        out[base + b]! += a0 * Y[o0 + b]! + a1 * Y[o1 + b]! + a2 * Y[o2 + b]! + a3 * Y[o3 + b]!;
      }
    }
  }
  for (; r < hi; r++) {
    const o = r * f;
    for (let a = 0; a < f; a++) {
      const ya = Y[o + a]!, base = a * f;
      for (let b = a; b < f; b++) out[base + b]! += ya * Y[o + b]!;
    }
  }
}

/** Sums chunk partials (upper triangles) in order, mirrors, and adds reg to the diagonal. */
export function finishGram(parts: Float64Array[], f: number, reg: number): Float64Array {
  const A = new Float64Array(f * f);
  for (const p of parts) for (let k = 0; k < A.length; k++) A[k]! += p[k]!;
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < a; b++) A[a * f + b] = A[b * f + a]!;
    A[a * f + a]! += reg;
  }
  return A;
}

/** Rows solved in lock-step, so the f x f products with YtY run as a small matrix product. */
export const GROUP = 4;

export interface Scratch {
  r: Float64Array; p: Float64Array; ap: Float64Array; x: Float64Array; rs: Float64Array;
  /** the fixed-side rows a group touches, gathered contiguously as float64 */
  gathered: Float64Array;
  d4: Float64Array;
}

/** Gather buffer cap (values): groups touching more rows than this read Y in place. */
const GATHER_MAX = 1 << 20;

export function makeScratch(f: number): Scratch {
  const n = GROUP * f;
  return {
    r: new Float64Array(n), p: new Float64Array(n), ap: new Float64Array(n), x: new Float64Array(n), rs: new Float64Array(GROUP),
    gathered: new Float64Array(Math.min(GATHER_MAX, 4096 * f)), d4: new Float64Array(4),
  };
}

/**
 * Updates rows [lo, hi) of X from the fixed factors Y: CG on the per-row normal equations.
 * A = YtY + reg I (f x f, row-major, Float64). lo must be a multiple of GROUP (splitRows
 * guarantees it) so that groups, and therefore results, never depend on the thread count.
 */
export function solveRows(
  m: SideMatrix, X: FactorArray, Y: FactorArray, A: Float64Array, f: number,
  cgSteps: number, lo: number, hi: number, s: Scratch,
): void {
  const { indptr, indices, cm1 } = m;
  const { r, p, ap, x, rs } = s;
  for (let g0 = lo; g0 < hi; g0 += GROUP) {
    const g1 = Math.min(hi, g0 + GROUP), ng = g1 - g0;
    const k0 = indptr[g0]!, kEnd = indptr[g1]!;
    // Each fixed-side row is read 1 + cgSteps times: gathering them once into a contiguous
    // float64 block turns scattered float32 reads into sequential ones. Same values, same
    // arithmetic, so results do not change.
    const need = (kEnd - k0) * f;
    let src: FactorArray = Y;
    let gather = false;
    if (need <= GATHER_MAX) {
      if (s.gathered.length < need) s.gathered = new Float64Array(Math.min(GATHER_MAX, Math.max(need, 2 * s.gathered.length)));
      const G = s.gathered;
      for (let k = k0; k < kEnd; k++) {
        const yo = indices[k]! * f, go = (k - k0) * f;
        for (let j = 0; j < f; j++) G[go + j] = Y[yo + j]!;
      }
      src = G; gather = true;
    }
    x.fill(0);
    for (let g = 0; g < ng; g++) {
      const xo = (g0 + g) * f, so = g * f;
      for (let k = 0; k < f; k++) x[so + k] = X[xo + k]!;
    }
    // r = b - A_u x = sum_i (c_i - (c_i - 1) y_i.x) y_i - YtY x
    matmat4(A, x, r, f, -1);
    for (let g = 0; g < ng; g++) {
      const u = g0 + g, so = g * f;
      rowProduct(src, gather, k0, indptr[u]!, indptr[u + 1]!, indices, cm1, x, so, r, so, f, true, s.d4);
      let t = 0;
      for (let j = so; j < so + f; j++) { p[j] = r[j]!; t += r[j]! * r[j]!; }
      rs[g] = t;
    }
    for (let g = ng; g < GROUP; g++) { p.fill(0, g * f, (g + 1) * f); rs[g] = 0; }
    for (let step = 0; step < cgSteps; step++) {
      let active = false;
      for (let g = 0; g < ng; g++) if (rs[g]! >= 1e-20) active = true;
      if (!active) break;
      matmat4(A, p, ap, f, 1);
      for (let g = 0; g < ng; g++) {
        const rsg = rs[g]!;
        if (rsg < 1e-20) continue; // this row has converged: leave it as it is
        const u = g0 + g, so = g * f;
        rowProduct(src, gather, k0, indptr[u]!, indptr[u + 1]!, indices, cm1, p, so, ap, so, f, false, s.d4);
        let pap = 0;
        for (let j = so; j < so + f; j++) pap += p[j]! * ap[j]!;
        const a = rsg / pap;
        let rn = 0;
        for (let j = so; j < so + f; j++) {
          x[j]! += a * p[j]!;
          const rj = r[j]! - a * ap[j]!;
          r[j] = rj; rn += rj * rj;
        }
        const beta = rn / rsg;
        for (let j = so; j < so + f; j++) p[j] = r[j]! + beta * p[j]!;
        rs[g] = rn;
      }
    }
    for (let g = 0; g < ng; g++) {
      const xo = (g0 + g) * f, so = g * f;
      for (let k = 0; k < f; k++) X[xo + k] = x[so + k]!;
    }
  }
}

/** out[g] = sign * A v[g] for the GROUP vectors stored one after another (A symmetric f x f). */
function matmat4(A: Float64Array, v: Float64Array, out: Float64Array, f: number, sign: number): void {
  const v1 = f, v2 = 2 * f, v3 = 3 * f;
  let a = 0;
  // two rows of A against four vectors: each loaded value feeds several multiply-adds
  for (; a + 2 <= f; a += 2) {
    const b0 = a * f, b1 = b0 + f;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let b = 0; b < f; b++) {
      const a0 = A[b0 + b]!, a1 = A[b1 + b]!;
      const w0 = v[b]!, w1 = v[v1 + b]!, w2 = v[v2 + b]!, w3 = v[v3 + b]!;
      s0 += a0 * w0; s1 += a0 * w1; s2 += a0 * w2; s3 += a0 * w3;
      t0 += a1 * w0; t1 += a1 * w1; t2 += a1 * w2; t3 += a1 * w3;
    }
    out[a] = sign * s0; out[v1 + a] = sign * s1; out[v2 + a] = sign * s2; out[v3 + a] = sign * s3;
    out[a + 1] = sign * t0; out[v1 + a + 1] = sign * t1; out[v2 + a + 1] = sign * t2; out[v3 + a + 1] = sign * t3;
  }
  for (; a < f; a++) {
    const b0 = a * f;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let b = 0; b < f; b++) {
      const a0 = A[b0 + b]!;
      s0 += a0 * v[b]!; s1 += a0 * v[v1 + b]!; s2 += a0 * v[v2 + b]!; s3 += a0 * v[v3 + b]!;
    }
    out[a] = sign * s0; out[v1 + a] = sign * s1; out[v2 + a] = sign * s2; out[v3 + a] = sign * s3;
  }
}

/**
 * out[oo..oo+f) += sum over the row's items k of coef_k * y_k, where d_k = y_k . v[vo..vo+f) and
 * coef_k = 1 + c1_k - c1_k d_k (initial residual) or c1_k d_k (CG step). Items go four at a
 * time: each load of v and of out then serves four multiply-adds, and the loads (each with
 * its bounds check) are what limits scalar JavaScript here.
 */
function rowProduct(
  Y: FactorArray, gathered: boolean, k0: number, kLo: number, kHi: number, indices: Int32Array, cm1: Float32Array,
  v: Float64Array, vo: number, out: Float64Array, oo: number, f: number, residual: boolean, d: Float64Array,
): void {
  let k = kLo;
  for (; k + 4 <= kHi; k += 4) {
    const o0 = gathered ? (k - k0) * f : indices[k]! * f;
    const o1 = gathered ? o0 + f : indices[k + 1]! * f;
    const o2 = gathered ? o0 + 2 * f : indices[k + 2]! * f;
    const o3 = gathered ? o0 + 3 * f : indices[k + 3]! * f;
    dot4(Y, o0, o1, o2, o3, v, vo, f, d);
    const a0 = cm1[k]!, a1 = cm1[k + 1]!, a2 = cm1[k + 2]!, a3 = cm1[k + 3]!;
    const c0 = residual ? 1 + a0 - a0 * d[0]! : a0 * d[0]!;
    const c1 = residual ? 1 + a1 - a1 * d[1]! : a1 * d[1]!;
    const c2 = residual ? 1 + a2 - a2 * d[2]! : a2 * d[2]!;
    const c3 = residual ? 1 + a3 - a3 * d[3]! : a3 * d[3]!;
    for (let j = 0; j < f; j++) {
      out[oo + j]! += c0 * Y[o0 + j]! + c1 * Y[o1 + j]! + c2 * Y[o2 + j]! + c3 * Y[o3 + j]!;
    }
  }
  for (; k < kHi; k++) {
    const o = gathered ? (k - k0) * f : indices[k]! * f;
    let dd = 0;
    for (let j = 0; j < f; j++) dd += Y[o + j]! * v[vo + j]!;
    const a = cm1[k]!;
    const c = residual ? 1 + a - a * dd : a * dd;
    for (let j = 0; j < f; j++) out[oo + j]! += c * Y[o + j]!;
  }
}

function dot4(Y: FactorArray, o0: number, o1: number, o2: number, o3: number, v: Float64Array, vo: number, f: number, d: Float64Array): void {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let j = 0; j < f; j++) {
    const w = v[vo + j]!;
    s0 += Y[o0 + j]! * w; s1 += Y[o1 + j]! * w; s2 += Y[o2 + j]! * w; s3 += Y[o3 + j]! * w;
  }
  d[0] = s0; d[1] = s1; d[2] = s2; d[3] = s3;
}

/** Contiguous row ranges with roughly equal cost (nnz * f + f^2 per row), starting at multiples of GROUP. */
export function splitRows(indptr: Int32Array, f: number, parts: number): Array<[number, number]> {
  const n = indptr.length - 1;
  const total = indptr[n]! + n * f;
  const out: Array<[number, number]> = [];
  let lo = 0;
  for (let t = 1; t <= parts && lo < n; t++) {
    const target = (total * t) / parts;
    let hi = Math.min(n, lo + GROUP);
    while (hi < n && indptr[hi]! + hi * f < target) hi = Math.min(n, hi + GROUP);
    if (t === parts) hi = n;
    out.push([lo, hi]);
    lo = hi;
  }
  return out;
}
