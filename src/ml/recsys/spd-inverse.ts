// Inverse of a symmetric positive-definite matrix through its Cholesky factor, on row-major
// Float64Array, blocked so the O(n^3) work runs in one cache-friendly kernel: dot products of
// contiguous rows, 4 x 4 at a time. Used by EASE (G = X^T X + lambda I, a few thousand items).
//   1. G = L L^T                     (left-looking, by column panels)          n^3/3 flops
//   2. W = L^-T, stored row-major upper triangular (W[j][k] = (L^-1)[k][j])    n^3/3
//   3. G^-1 = L^-T L^-1, entry (i, j) = dot(W row i, W row j)                   n^3/3
import { InvalidInputError } from '../core/errors.ts';
import { HEADER_BYTES, spdKernel, spdMemory, type SpdKernel } from './spd-wasm.ts';

const NB = 64;   // panel width
const KC = 256;  // dot-product length per pass, so the 8 row segments stay in L1

/** This thread's WebAssembly kernel, used for A and B in its memory (see spd-wasm.ts). */
let kernel: SpdKernel | null = null;
export function useSpdKernel(k: SpdKernel | null): void { kernel = k; }
let wasmEnabled = true;
/** Turns the WebAssembly kernel off (or back on) for the serial entry point: tests and benchmarks compare both. */
export function setSpdWasm(on: boolean): void { wasmEnabled = on; }

/**
 * C[(c0 + i) * ldc + cj0 + j] -= sum_{m in [mLo, mHi)} A[(a0 + i) * n + m] * B[(b0 + j) * n + m]
 * for i < ni, j < nj. With `lowerOnly`, only entries where a0 + i >= b0 + j are written.
 */
function subDots(
  A: Float64Array, a0: number, ni: number, B: Float64Array, b0: number, nj: number, n: number,
  mLo: number, mHi: number, C: Float64Array, c0: number, cj0: number, ldc: number, lowerOnly: boolean,
): void {
  if (mHi <= mLo) return;
  const K = kernel && A.buffer === kernel.buffer && B.buffer === kernel.buffer ? kernel : null;
  for (let k0 = mLo; k0 < mHi; k0 += KC) {
    const k1 = Math.min(mHi, k0 + KC);
    let i = 0;
    for (; i + 4 <= ni; i += 4) {
      const r0 = (a0 + i) * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
      let j = 0;
      for (; j + 4 <= nj; j += 4) {
        if (lowerOnly && b0 + j > a0 + i + 3) break;
        const q0 = (b0 + j) * n, q1 = q0 + n, q2 = q1 + n, q3 = q2 + n;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        if (K) {
          K.dot44(A.byteOffset + (r0 + k0) * 8, B.byteOffset + (q0 + k0) * 8, k1 - k0, n * 8, K.out);
          const z = K.sums;
          s00 = z[0]!; s01 = z[1]!; s02 = z[2]!; s03 = z[3]!; s10 = z[4]!; s11 = z[5]!; s12 = z[6]!; s13 = z[7]!;
          s20 = z[8]!; s21 = z[9]!; s22 = z[10]!; s23 = z[11]!; s30 = z[12]!; s31 = z[13]!; s32 = z[14]!; s33 = z[15]!;
        } else for (let m = k0; m < k1; m++) {
          const x0 = A[r0 + m]!, x1 = A[r1 + m]!, x2 = A[r2 + m]!, x3 = A[r3 + m]!;
          const y0 = B[q0 + m]!, y1 = B[q1 + m]!, y2 = B[q2 + m]!, y3 = B[q3 + m]!;
          s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
          s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
          s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
          s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
        }
        const c = (c0 + i) * ldc + cj0 + j;
        if (!lowerOnly || b0 + j + 3 <= a0 + i) {
          C[c]! -= s00; C[c + 1]! -= s01; C[c + 2]! -= s02; C[c + 3]! -= s03;
          C[c + ldc]! -= s10; C[c + ldc + 1]! -= s11; C[c + ldc + 2]! -= s12; C[c + ldc + 3]! -= s13;
          C[c + 2 * ldc]! -= s20; C[c + 2 * ldc + 1]! -= s21; C[c + 2 * ldc + 2]! -= s22; C[c + 2 * ldc + 3]! -= s23;
          C[c + 3 * ldc]! -= s30; C[c + 3 * ldc + 1]! -= s31; C[c + 3 * ldc + 2]! -= s32; C[c + 3 * ldc + 3]! -= s33;
        } else {
          const s = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
          for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) {
            if (b0 + j + b <= a0 + i + a) C[c + a * ldc + b]! -= s[a * 4 + b]!;
          }
        }
      }
      // leftover columns of this row block
      for (; j < nj; j++) {
        for (let a = 0; a < 4; a++) {
          if (lowerOnly && b0 + j > a0 + i + a) continue;
          const ra = (a0 + i + a) * n, q = (b0 + j) * n;
          let s = 0;
          for (let m = k0; m < k1; m++) s += A[ra + m]! * B[q + m]!;
          C[(c0 + i + a) * ldc + cj0 + j]! -= s;
        }
      }
    }
    for (; i < ni; i++) {
      const ra = (a0 + i) * n;
      for (let j = 0; j < nj; j++) {
        if (lowerOnly && b0 + j > a0 + i) break;
        const q = (b0 + j) * n;
        let s = 0;
        for (let m = k0; m < k1; m++) s += A[ra + m]! * B[q + m]!;
        C[(c0 + i) * ldc + cj0 + j]! -= s;
      }
    }
  }
}

/** Cholesky step 1 for panel j0, rows [rLo, rHi): A[i][j] -= L[i][0:j0] . L[j][0:j0]. */
export function panelUpdate(A: Float64Array, n: number, j0: number, rLo: number, rHi: number): void {
  const w = Math.min(n, j0 + NB) - j0;
  subDots(A, rLo, rHi - rLo, A, j0, w, n, 0, j0, A, rLo, j0, n, true);
}

/** Cholesky step 2 for panel j0: factor its columns (needs the whole panel updated). */
export function panelFactor(A: Float64Array, n: number, j0: number): void {
  const j1 = Math.min(n, j0 + NB);
  for (let j = j0; j < j1; j++) {
    const rj = j * n;
    let d = A[rj + j]!;
    for (let m = j0; m < j; m++) d -= A[rj + m]! * A[rj + m]!;
    if (!(d > 0)) throw new InvalidInputError(`cholesky: matrix is not positive definite (pivot ${j} is ${d})`);
    const ljj = Math.sqrt(d);
    A[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = A[ri + j]!;
      for (let m = j0; m < j; m++) s -= A[ri + m]! * A[rj + m]!;
      A[ri + j] = s / ljj;
    }
  }
}

/**
 * W = L^-T as an upper-triangular row-major matrix, W[j][k] = (L^-1)[k][j] for k >= j. From
 * L (L^-1) = I: W[j][k] = (delta_jk - sum_{m=j}^{k-1} L[k][m] W[j][m]) / L[k][k].
 * One block: rows [j0, j0+NB) x columns [k0, k0+NB), given all columns before k0.
 */
export function inverseBlock(L: Float64Array, W: Float64Array, n: number, j0: number, k0: number, T: Float64Array): void {
  const k1 = Math.min(n, k0 + NB), wk = k1 - k0;
  const j1 = Math.min(n, j0 + NB), wj = j1 - j0;
  // T[j][k] = -sum_{m in [j0, k0)} W[j][m] L[k][m]: the part from earlier blocks
  T.fill(0);
  subDots(W, j0, wj, L, k0, wk, n, j0, k0, T, 0, 0, NB, false);
  for (let k = k0; k < k1; k++) {
    const rk = k * n, lkk = L[rk + k]!;
    for (let j = j0; j < Math.min(j1, k + 1); j++) {
      const rj = j * n;
      let s = (j === k ? 1 : 0) + T[(j - j0) * NB + (k - k0)]!;
      for (let m = Math.max(j, k0); m < k; m++) s -= L[rk + m]! * W[rj + m]!;
      W[rj + k] = s / lkk;
    }
  }
}

/**
 * G^-1 (i, j) = sum_{k >= max(i, j)} W[i][k] W[j][k], negated (the caller flips the sign);
 * W is zero below the diagonal, so the dot over [i0, n) is exact. Tile rows [i0, i0+NB) x
 * columns [j0, j0+NB), j0 <= i0, lower part only. P must start zeroed.
 */
export function productTile(W: Float64Array, P: Float64Array, n: number, i0: number, j0: number): void {
  const i1 = Math.min(n, i0 + NB), j1 = Math.min(n, j0 + NB);
  subDots(W, i0, i1 - i0, W, j0, j1 - j0, n, i0, n, P, i0, j0, n, true);
}

/** Runs a batch of independent tasks (serially, or on worker threads). */
export type TaskRunner = (tasks: SpdTask[]) => Promise<void> | void;
export type SpdTask =
  | { op: 'panelUpdate'; j0: number; rLo: number; rHi: number }
  | { op: 'inverseBlock'; j0: number; k0: number }
  | { op: 'productTile'; i0: number; j0: number };

/** Executes one task on the shared G (= L, later P) and W buffers. */
export function runSpdTask(t: SpdTask, G: Float64Array, W: Float64Array, n: number, T: Float64Array): void {
  if (t.op === 'panelUpdate') panelUpdate(G, n, t.j0, t.rLo, t.rHi);
  else if (t.op === 'inverseBlock') inverseBlock(G, W, n, t.j0, t.k0, T);
  else productTile(W, G, n, t.i0, t.j0);
}

export const SPD_BLOCK = NB;

/** Below this size the copy into WebAssembly memory is not worth it. */
const WASM_MIN = 96;

/** G and W (n x n float64 each) in a memory made by spdMemory(2 n^2 8), after its header. */
export function spdViews(mem: WebAssembly.Memory | ArrayBufferLike, n: number): { G: Float64Array; W: Float64Array } {
  const buf = mem instanceof WebAssembly.Memory ? mem.buffer : mem;
  return { G: new Float64Array(buf, HEADER_BYTES, n * n), W: new Float64Array(buf, HEADER_BYTES + n * n * 8, n * n) };
}

/** In place: the lower triangle of A becomes L with A = L L^T (upper triangle left untouched). */
export function cholesky(A: Float64Array, n: number): void {
  if (A.length !== n * n) throw new InvalidInputError(`cholesky: ${A.length} values for a ${n} x ${n} matrix`);
  for (let j0 = 0; j0 < n; j0 += NB) {
    panelUpdate(A, n, j0, j0, n);
    panelFactor(A, n, j0);
  }
}

/** Inverse of the SPD matrix G (n x n, row-major), serially. G is overwritten with the result. */
export function spdInverseInPlace(G: Float64Array, n: number): Float64Array {
  checkSize(G, n);
  if (wasmEnabled && n >= WASM_MIN && !(kernel && G.buffer === kernel.buffer)) {
    // copy into a WebAssembly memory (O(n^2)) so the O(n^3) work runs in the SIMD kernel
    const mem = spdMemory(2 * n * n * 8);
    const k = mem && spdKernel(mem);
    if (mem && k) {
      const { G: g } = spdViews(mem, n);
      g.set(G);
      const prev = kernel;
      kernel = k;
      try { spdInverseInPlace(g, n); } finally { kernel = prev; }
      G.set(g);
      return G;
    }
  }
  const W = kernel && G.buffer === kernel.buffer ? spdViews(kernel.buffer, n).W : new Float64Array(n * n);
  const T = new Float64Array(NB * NB);
  for (const step of schedule(n, 1)) {
    if (step.kind === 'tasks') for (const t of step.tasks) runSpdTask(t, G, W, n, T);
    else step.apply(G);
  }
  return G;
}

/**
 * The same computation with each batch of independent tasks handed to `run`, which may spread
 * it over threads (G and W then live in SharedArrayBuffers). Every entry is computed by exactly
 * one task in a fixed order, so the result does not depend on the split: bit for bit serial.
 */
export async function spdInverseWith(G: Float64Array, W: Float64Array, n: number, run: TaskRunner, parts: number): Promise<Float64Array> {
  checkSize(G, n);
  for (const step of schedule(n, parts)) {
    if (step.kind === 'tasks') await run(step.tasks);
    else step.apply(G);
  }
  return G;
}

function checkSize(G: Float64Array, n: number): void {
  if (G.length !== n * n) throw new InvalidInputError(`spdInverse: ${G.length} values for a ${n} x ${n} matrix`);
}

type Step = { kind: 'tasks'; tasks: SpdTask[] } | { kind: 'serial'; apply: (G: Float64Array) => void };

function* schedule(n: number, parts: number): Generator<Step> {
  // 1. G = L L^T, panel by panel; each panel's update is split into row ranges
  for (let j0 = 0; j0 < n; j0 += NB) {
    const rows = n - j0, step = Math.max(NB, Math.ceil(rows / (2 * parts) / 4) * 4);
    const tasks: SpdTask[] = [];
    for (let r = j0; r < n; r += step) tasks.push({ op: 'panelUpdate', j0, rLo: r, rHi: Math.min(n, r + step) });
    yield { kind: 'tasks', tasks };
    yield { kind: 'serial', apply: (G) => panelFactor(G, n, j0) };
  }
  // 2. W = L^-T, one block column at a time (the blocks of a column are independent)
  for (let k0 = 0; k0 < n; k0 += NB) {
    const tasks: SpdTask[] = [];
    for (let j0 = 0; j0 <= k0; j0 += NB) tasks.push({ op: 'inverseBlock', j0, k0 });
    yield { kind: 'tasks', tasks };
  }
  // 3. G^-1 = W W^T into G's storage (L is no longer needed): lower tiles, then mirrored
  yield { kind: 'serial', apply: (G) => G.fill(0) };
  const tiles: SpdTask[] = [];
  for (let i0 = 0; i0 < n; i0 += NB) for (let j0 = 0; j0 <= i0; j0 += NB) tiles.push({ op: 'productTile', i0, j0 });
  yield { kind: 'tasks', tasks: tiles };
  yield {
    kind: 'serial', apply: (G) => {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) { const v = -G[i * n + j]!; G[i * n + j] = v; G[j * n + i] = v; }
        G[i * n + i] = -G[i * n + i]!;
      }
    },
  };
}
