// The k best rows of a float32 factor matrix for one query vector, exactly as dense float32
// scoring ranks them, without computing every exact score.
//
// A recommendation request over 20,000 tracks x 64 factors spends most of its time streaming
// 5 MB of float32 factors through dense dot products, bound by memory bandwidth. Here each row
// is also kept as 8-bit integers with its own scale (1.3 MB; the query as 16-bit integers, and
// WebAssembly's i32x4.dot_i16x8_s does eight multiply-adds an instruction), which gives every
// row an approximate score with a proven error bound. Only rows whose approximation could still
// reach the top k (within twice the bound of the k-th best approximation) are scored exactly,
// by the float32 kernel itself, so the result (indices, scores, order, ties to the lower index)
// is the dense kernel's. Blocks of rows whose best approximation is too low are skipped whole.
//
// Bound, per row i with scale a_i (Y_i ~ a_i q_i, |Y_ij - a_i q_ij| <= a_i / 2) and a query with
// scale s (x ~ s p, |x_j - s p_j| <= s / 2):
//   |Y_i . x - a_i s (q_i . p)| <= a_i s (|q_i|_1 / 2 + |p|_1 / 2 + f / 4)
// plus the float32 kernel's own rounding (f * 2^-23 * max|Y_i| * |x|_1) and the rounding of the
// approximation itself, covered by a relative slack.
import { heapSelect, drainHeap } from '../../ml/recsys/recommender.ts';
import { I32, V128, i32Const as i32c, localGet as get, localSet as set, localTee as tee, memoryModule, simdOp as simd, uleb, v128Load as load } from '../../util/wasm.ts';
import type { DotScorer } from './dot-f32.ts';

const load8x8 = (offset: number) => simd(0x01, 3, ...uleb(offset)); // v128.load8x8_s: 8 i8 -> 8 i16
const I32X4_ADD = 0xae, I32X4_DOT_I16X8_S = 0xba, F32X4_PMAX = 0xeb, F32X4_EXTRACT = 0x1f, F32X4_MUL = 0xe6;
const I8X16_SHUFFLE = 0x0d, V128_STORE = 0x0b, F32X4_CONVERT_I32X4_S = 0xfa;
/** rows per block: a block whose best approximation is below the threshold is skipped whole */
const BLOCK = 32;

/**
 * (func approx (q p a out n)): out[i] = f32(sum_j q[i][j] * p[j]) * a[i], for i < n, n a multiple
 * of 4; byte pointers, q i8 and p i16 with `steps` x 8 values a row, a and out f32. Generated for
 * one row width: the query's vectors stay in locals, four rows a step as straight-line code, and
 * their four integer sums come out of one shuffle-and-add reduction as one vector.
 */
function kernelBytes(steps: number): Uint8Array {
  // params 0 q, 1 p, 2 a, 3 out, 4 n; local 5 end (i32); v128 locals: 4 accumulators, 2 temporaries, `steps` query vectors
  const Q = 0, P = 1, A = 2, OUT = 3, N = 4, END = 5, ACC = 6, T = 10, PV = 12;
  const zero = simd(0x0c, ...new Array(16).fill(0));
  const rowBytes = steps * 8;
  const lanes = (...l: number[]) => l.flatMap((x) => [x * 4, x * 4 + 1, x * 4 + 2, x * 4 + 3]);
  const shuffle = (...l: number[]) => simd(I8X16_SHUFFLE, ...lanes(...l));
  // [a0+a2, a1+a3, b0+b2, b1+b3] of two accumulators
  const fold = (x: number, y: number) => [...get(x), ...get(y), ...shuffle(0, 1, 4, 5), ...get(x), ...get(y), ...shuffle(2, 3, 6, 7), ...simd(I32X4_ADD)];
  const code = [
    ...get(Q), ...get(N), ...i32c(rowBytes), 0x6c, 0x6a, ...set(END),
    ...Array.from({ length: steps }, (_, s) => [...get(P), ...load(s * 16), ...set(PV + s)]).flat(),
    0x02, 0x40, 0x03, 0x40,
    ...get(Q), ...get(END), 0x4f, 0x0d, 1,
    ...[0, 1, 2, 3].flatMap((r) => [
      ...zero, ...set(ACC + r),
      ...Array.from({ length: steps }, (_, s) => [...get(ACC + r), ...get(Q), ...load8x8(r * rowBytes + s * 8), ...get(PV + s), ...simd(I32X4_DOT_I16X8_S), ...simd(I32X4_ADD), ...set(ACC + r)]).flat(),
    ]),
    ...fold(ACC, ACC + 1), ...set(T), ...fold(ACC + 2, ACC + 3), ...set(T + 1),
    ...get(OUT),
    ...get(T), ...get(T + 1), ...shuffle(0, 2, 4, 6), ...get(T), ...get(T + 1), ...shuffle(1, 3, 5, 7), ...simd(I32X4_ADD),
    ...simd(F32X4_CONVERT_I32X4_S), ...get(A), ...load(0), ...simd(F32X4_MUL),
    ...simd(V128_STORE, 4, 0),
    ...get(Q), ...i32c(4 * rowBytes), 0x6a, ...set(Q),
    ...get(A), ...i32c(16), 0x6a, ...set(A),
    ...get(OUT), ...i32c(16), 0x6a, ...set(OUT),
    0x0c, 0,
    0x0b, 0x0b,
  ];
  // (func blockmax (v bm nb)): bm[b] = max of v[b*BLOCK .. b*BLOCK+BLOCK) for b < nb
  const V = 0, BM = 1, NB = 2, BEND = 3, M = 4;
  const blockMax = [
    ...get(BM), ...get(NB), ...i32c(2), 0x74, 0x6a, ...set(BEND),
    0x02, 0x40, 0x03, 0x40,
    ...get(BM), ...get(BEND), 0x4f, 0x0d, 1,
    ...get(V), ...load(0),
    ...Array.from({ length: BLOCK / 4 - 1 }, (_, k) => [...get(V), ...load((k + 1) * 16), ...simd(F32X4_PMAX)]).flat(),
    ...set(M),
    ...get(BM),
    ...get(M), ...simd(F32X4_EXTRACT, 0), ...get(M), ...simd(F32X4_EXTRACT, 1), 0x97, ...get(M), ...simd(F32X4_EXTRACT, 2), 0x97, ...get(M), ...simd(F32X4_EXTRACT, 3), 0x97,
    0x38, 2, 0, // f32.store
    ...get(V), ...i32c(BLOCK * 4), 0x6a, ...set(V),
    ...get(BM), ...i32c(4), 0x6a, ...set(BM),
    0x0c, 0,
    0x0b, 0x0b,
  ];
  return memoryModule([
    { name: 'approx', params: 5, locals: [[1, I32], [6 + steps, V128]], code },
    { name: 'blockmax', params: 3, locals: [[1, I32], [1, V128]], code: blockMax },
  ]);
}

const compiled = new Map<number, WebAssembly.Module | null>();
function wasmModule(steps: number): WebAssembly.Module | null {
  if (!compiled.has(steps)) {
    try { compiled.set(steps, new WebAssembly.Module(kernelBytes(steps))); } catch { compiled.set(steps, null); }
  }
  return compiled.get(steps)!;
}

export interface TopKScorer {
  /**
   * The k best rows for x by the dense scorer's float32 scores (ties to the lower index),
   * leaving out rows masked[0 .. maskedCount): their indices best first into idx, their exact
   * scores into score; returns how many (fewer than k when fewer rows are left).
   */
  topK(x: ArrayLike<number>, k: number, masked: Int32Array, maskedCount: number, idx: Int32Array, score: Float32Array): number;
  /** rows scored exactly by the last call (for tests and the curious) */
  readonly lastExact: number;
}

/**
 * A top-k scorer over the same rows as `exact` (Y, rows x cols), or null when WebAssembly SIMD is
 * not available (the caller then scores densely).
 */
export function quantizedTopK(Y: Float32Array | Float64Array, rows: number, cols: number, exact: DotScorer): TopKScorer | null {
  if (Y.length !== rows * cols) throw new Error(`quantizedTopK: ${Y.length} values for ${rows} x ${cols}`);
  // straight-line code per row: wide rows (hundreds of factors) keep the dense path
  const steps = Math.ceil(cols / 8);
  const mod = rows > 0 && steps > 0 && steps <= 32 ? wasmModule(steps) : null;
  if (!mod) return null;
  // rows as i8 (the bytes streamed per request), the query as i16 (its precision is free);
  // a lane sums cols / 4 products and the row total cols products, all in i32
  const qmax = 127, pmax = Math.min(32767, Math.floor((2 ** 31 - 1) / (qmax * Math.max(cols, 8))));
  const rowVals = steps * 8;
  const blocks = Math.ceil(rows / BLOCK);
  const rows4 = Math.ceil(rows / 4) * 4; // the kernel takes four rows a step (padding rows are zero)
  const qBytes = Math.ceil(rows4 * rowVals / 16) * 16, pBytes = rowVals * 2, aBytes = rows4 * 4, outBytes = blocks * BLOCK * 4, bmBytes = blocks * 4;
  const mem = new WebAssembly.Memory({ initial: Math.ceil((qBytes + pBytes + aBytes + outBytes + bmBytes + 64) / 65536) });
  const exports = new WebAssembly.Instance(mod, { env: { mem } }).exports;
  const run = exports.approx as (q: number, p: number, a: number, out: number, n: number) => void;
  const blockMax = exports.blockmax as (v: number, bm: number, nb: number) => void;
  const qOff = 0, pOff = qBytes, aOff = pOff + pBytes, outOff = Math.ceil((aOff + aBytes) / 16) * 16, bmOff = outOff + outBytes;
  const q = new Int8Array(mem.buffer, qOff, rows * rowVals);
  const p = new Int16Array(mem.buffer, pOff, rowVals);
  const a = new Float32Array(mem.buffer, aOff, rows);
  const approx = new Float32Array(mem.buffer, outOff, blocks * BLOCK);
  approx.fill(-Infinity, rows); // the last block's padding never qualifies
  const bmax = new Float32Array(mem.buffer, bmOff, blocks);
  // per row: its scale, and the row-dependent part of the bound, a_i |q_i|_1 / 2
  let maxScale = 0, maxRowTerm = 0, maxAbsY = 0;
  for (let i = 0; i < rows; i++) {
    let m = 0;
    for (let j = 0; j < cols; j++) m = Math.max(m, Math.abs(Y[i * cols + j]!));
    const scale = Math.fround(m > 0 ? m / qmax : 0);
    let l1 = 0;
    for (let j = 0; j < cols; j++) {
      const v = scale > 0 ? Math.max(-qmax, Math.min(qmax, Math.round(Y[i * cols + j]! / scale))) : 0;
      q[i * rowVals + j] = v; l1 += Math.abs(v);
    }
    a[i] = scale;
    maxScale = Math.max(maxScale, scale); maxRowTerm = Math.max(maxRowTerm, scale * l1 / 2); maxAbsY = Math.max(maxAbsY, m);
  }

  let hs = new Float64Array(0), hi = new Int32Array(0);
  let gathered: Float32Array = new Float32Array(BLOCK * 64), gatheredRow: Int32Array = new Int32Array(BLOCK * 64);
  let cand: Int32Array = new Int32Array(64), candScore: Float32Array = new Float32Array(64);
  const scorer: { lastExact: number; topK: TopKScorer['topK'] } = {
    lastExact: 0,
    topK(x, k, masked, maskedCount, idx, score) {
      if (k <= 0) return 0;
      if (hs.length < k) { hs = new Float64Array(k); hi = new Int32Array(k); }
      let xmax = 0, xl1 = 0;
      for (let j = 0; j < cols; j++) { const v = Math.abs(x[j]!); xmax = Math.max(xmax, v); xl1 += v; }
      const sx = xmax > 0 ? xmax / pmax : 1;
      let pl1 = 0;
      for (let j = 0; j < cols; j++) { const v = Math.max(-pmax, Math.min(pmax, Math.round(x[j]! / sx))); p[j] = v; pl1 += Math.abs(v); }
      run(qOff, pOff, aOff, outOff, rows4);
      approx.fill(-Infinity, rows, rows4);
      for (let r = 0; r < maskedCount; r++) approx[masked[r]!] = -Infinity;
      blockMax(outOff, bmOff, blocks);
      // approx[i] ~ (Y_i . x) / sx, within `bound` (same units; slack for float rounding)
      const bound = (maxRowTerm + maxScale * (pl1 / 2 + cols / 4)
        + (cols * 2 ** -23 * maxAbsY * xl1) / sx
        + 4 * 2 ** -24 * maxScale * cols * qmax * pmax) * 1.001 + 1e-30;
      // the k-th best block maximum is at most the k-th best row: only blocks reaching it can hold the top k
      const nb = heapSelect(bmax, 0, blocks, k, hs, hi);
      if (nb === 0) { scorer.lastExact = 0; return 0; }
      const blockFloor = nb < k ? -Infinity : minOf(hs, nb);
      let g = 0;
      for (let b = 0; b < blocks; b++) {
        if (!(bmax[b]! >= blockFloor)) continue;
        if (g + BLOCK > gathered.length) { gathered = grow(gathered, g + BLOCK); gatheredRow = growI(gatheredRow, g + BLOCK); }
        for (let i = b * BLOCK, e = i + BLOCK; i < e; i++) { gathered[g] = approx[i]!; gatheredRow[g++] = i; }
      }
      const size = heapSelect(gathered, 0, g, k, hs, hi);
      // every row of the exact top k has an approximation within twice the bound of the k-th best
      const threshold = size < k ? -Infinity : minOf(hs, size) - 2 * bound;
      let m = 0;
      for (let b = 0; b < blocks; b++) {
        if (!(bmax[b]! >= threshold)) continue;
        for (let i = b * BLOCK, e = Math.min(rows, i + BLOCK); i < e; i++) {
          const v = approx[i]!;
          if (!(v >= threshold) || v === -Infinity) continue;
          if (m === cand.length) { cand = growI(cand, m * 2); candScore = grow(candScore, m * 2); }
          cand[m++] = i;
        }
      }
      exact.scoreRows(x, cand, m, candScore);
      scorer.lastExact = m;
      const n = heapSelect(candScore, 0, m, k, hs, hi);
      drainHeap(hs, hi, n, idx);
      for (let r = 0; r < n; r++) { const c = idx[r]!; idx[r] = cand[c]!; score[r] = candScore[c]!; }
      return n;
    },
  };
  return scorer;
}

function minOf(a: Float64Array, n: number): number {
  let m = Infinity;
  for (let r = 0; r < n; r++) if (a[r]! < m) m = a[r]!;
  return m;
}
function grow(a: Float32Array, n: number): Float32Array { const b = new Float32Array(Math.max(n, a.length * 2)); b.set(a); return b; }
function growI(a: Int32Array, n: number): Int32Array { const b = new Int32Array(Math.max(n, a.length * 2)); b.set(a); return b; }
