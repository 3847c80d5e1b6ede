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
import { KernelCache, ModuleBuilder, instantiate, type FunctionBuilder, type Local } from '../../util/wasm.ts';
import type { DotScorer } from './dot-f32.ts';

/** rows per block: a block whose best approximation is below the threshold is skipped whole */
const BLOCK = 32;

/**
 * (func approx (q p a out n)): out[i] = f32(sum_j q[i][j] * p[j]) * a[i], for i < n, n a multiple
 * of 4; byte pointers, q i8 and p i16 with `steps` x 8 values a row, a and out f32. Generated for
 * one row width: the query's vectors stay in locals, four rows a step as straight-line code, and
 * their four integer sums come out of one shuffle-and-add reduction as one vector.
 * (func blockmax (v bm nb)): bm[b] = max of v[b*BLOCK .. b*BLOCK+BLOCK) for b < nb.
 */
export function topkKernel(steps: number): ModuleBuilder {
  const m = new ModuleBuilder('topk-i8', { min: 1 });
  m.func('approx', { q: 'i32', p: 'i32', a: 'i32', out: 'i32', n: 'i32' }, (f, p) => approxBody(f, p, steps));
  m.func('blockmax', { v: 'i32', bm: 'i32', nb: 'i32' }, (f, p) => {
    const end = f.local('i32', 'end'), mx = f.local('v128', 'max');
    f.get(p.bm).get(p.nb).i32(2).op('i32.shl', 'i32.add').set(end);
    f.block((done) => f.loop((next) => {
      f.get(p.bm).get(end).op('i32.ge_u').brIf(done);
      f.get(p.v).mem('v128.load');
      for (let k = 1; k < BLOCK / 4; k++) f.get(p.v).mem('v128.load', k * 16).op('f32x4.pmax');
      f.set(mx);
      f.get(p.bm);
      f.get(mx).lane('f32x4.extract_lane', 0);
      for (let l = 1; l < 4; l++) f.get(mx).lane('f32x4.extract_lane', l).op('f32.max');
      f.mem('f32.store');
      f.get(p.v).i32(BLOCK * 4).op('i32.add').set(p.v);
      f.get(p.bm).i32(4).op('i32.add').set(p.bm);
      f.br(next);
    }));
  });
  return m;
}

function approxBody(f: FunctionBuilder, p: Record<'q' | 'p' | 'a' | 'out' | 'n', Local>, steps: number): void {
  const end = f.local('i32', 'end');
  const acc = f.locals('v128', 4, 'acc'), t = f.locals('v128', 2, 't'), pv = f.locals('v128', steps, 'query');
  const rowBytes = steps * 8;
  /** an i8x16.shuffle taking 32-bit lanes l of the two operands (0-3 the first, 4-7 the second) */
  const shuffle = (...l: number[]) => f.shuffle(l.flatMap((x) => [x * 4, x * 4 + 1, x * 4 + 2, x * 4 + 3]));
  /** [a0+a2, a1+a3, b0+b2, b1+b3] of two accumulators */
  const fold = (x: Local, y: Local) => {
    f.get(x).get(y); shuffle(0, 1, 4, 5);
    f.get(x).get(y); shuffle(2, 3, 6, 7);
    f.op('i32x4.add');
  };
  f.get(p.q).get(p.n).i32(rowBytes).op('i32.mul', 'i32.add').set(end);
  for (let s = 0; s < steps; s++) f.get(p.p).mem('v128.load', s * 16).set(pv[s]!);
  f.block((done) => f.loop((next) => {
    f.get(p.q).get(end).op('i32.ge_u').brIf(done);
    for (let r = 0; r < 4; r++) {
      f.v128zero().set(acc[r]!);
      for (let s = 0; s < steps; s++) {
        f.get(acc[r]!).get(p.q).mem('v128.load8x8_s', r * rowBytes + s * 8).get(pv[s]!).op('i32x4.dot_i16x8_s', 'i32x4.add').set(acc[r]!);
      }
    }
    fold(acc[0]!, acc[1]!); f.set(t[0]!); fold(acc[2]!, acc[3]!); f.set(t[1]!);
    f.get(p.out);
    f.get(t[0]!).get(t[1]!); shuffle(0, 2, 4, 6);
    f.get(t[0]!).get(t[1]!); shuffle(1, 3, 5, 7);
    f.op('i32x4.add', 'f32x4.convert_i32x4_s').get(p.a).mem('v128.load').op('f32x4.mul');
    f.mem('v128.store');
    f.get(p.q).i32(4 * rowBytes).op('i32.add').set(p.q);
    f.get(p.a).i32(16).op('i32.add').set(p.a);
    f.get(p.out).i32(16).op('i32.add').set(p.out);
    f.br(next);
  }));
}

const cache = new KernelCache<number>();
const wasmModule = (steps: number): WebAssembly.Module | null => cache.get(steps, () => topkKernel(steps));

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
  const { approx: run, blockmax: blockMax } = instantiate<{
    approx(q: number, p: number, a: number, out: number, n: number): void;
    blockmax(v: number, bm: number, nb: number): void;
  }>(mod, mem);
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

/**
 * approx in plain TypeScript: the integer dot products (exact: i32 sums cannot overflow for the
 * scales used), converted to float32 and scaled, as the kernel does. q: rows x (steps * 8) i8,
 * p: steps * 8 i16.
 */
export function approxTwin(q: Int8Array, p: Int16Array, a: Float32Array, n: number, steps: number, out: Float32Array): void {
  const w = steps * 8;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < w; j++) s = (s + q[i * w + j]! * p[j]!) | 0;
    out[i] = Math.fround(Math.fround(s) * a[i]!);
  }
}

/** blockmax in plain TypeScript: f32x4.pmax (b if a < b, else a) down each lane, then f32.max across */
export function blockMaxTwin(v: Float32Array, nb: number, bm: Float32Array): void {
  for (let b = 0; b < nb; b++) {
    const m = [0, 1, 2, 3].map((l) => v[b * BLOCK + l]!);
    for (let k = 1; k < BLOCK / 4; k++) for (let l = 0; l < 4; l++) { const x = v[b * BLOCK + 4 * k + l]!; if (m[l]! < x) m[l] = x; }
    bm[b] = Math.max(Math.max(Math.max(m[0]!, m[1]!), m[2]!), m[3]!);
  }
}

export const TOPK_BLOCK = BLOCK;
