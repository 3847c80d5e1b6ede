// The row partitions of histogram boosting (shards.ts) as WebAssembly over the shards' shared
// memory. The JavaScript loops ran at about 4-5 ns a row (bounds checks on three typed arrays
// and their reloaded bases in a loop whose stores have data-dependent addresses); the same loop
// here runs at about 1.3 ns. Same rows, same order: only the speed differs.
//
// Exports (addresses in bytes, positions in rows):
//   pnum(rows, tmp, cb, a, b, bin)  stable partition of rows[a..b) by cb[row] <= bin
//   pbun(rows, tmp, cb, a, b, code) the same by cb[row] != code (a bundle member's "0" side)
// Both return the boundary position; tmp is the calling thread's scratch.
import { KernelCache, ModuleBuilder, PAGE, instantiate, type FunctionBuilder, type Local } from '../../util/wasm.ts';

// Compiled modules by shape, kept across fits in this thread: a boosting fit used to generate
// and compile its partition, vector and histogram kernels afresh (a few per fit), which is most
// of a small fit's fixed cost. The histogram kernels are keyed by the layout they bake in (memory
// pages, addresses, the columns' offsets), so fits of equal shape (folds, repeated searches,
// refits on the same data) reuse them; the limit bounds what differing shapes keep.
const cache = new KernelCache(64);
/** the cache itself, for the test that counts what a second fit compiles */
export const shardKernelCache: { readonly size: number } = cache;

/** the shards' shared memory, as each kernel module imports it */
const sharedMemory = (memory: WebAssembly.Memory) => {
  const pages = memory.buffer.byteLength / PAGE;
  return { min: pages, max: pages, shared: true };
};

export interface PartitionKernels {
  pnum(rows: number, tmp: number, cb: number, a: number, b: number, bin: number): number;
  pbun(rows: number, tmp: number, cb: number, a: number, b: number, code: number): number;
}

const PARTITION_PARAMS = { rows: 'i32', tmp: 'i32', cb: 'i32', a: 'i32', b: 'i32', key: 'i32' } as const;

/** One partition function; bundle: the left test is cb[r] != key instead of cb[r] <= key. */
function partitionBody(f: FunctionBuilder<typeof PARTITION_PARAMS>, bundle: boolean): void {
  const p = f.params;
  const w = f.local('i32', 'left'), t = f.local('i32', 'right'), k = f.local('i32', 'k');
  const r = f.local('i32', 'row'), l = f.local('i32', 'goesLeft'), end = f.local('i32', 'end');
  f.get(p.rows).get(p.a).i32(2).op('i32.shl', 'i32.add').tee(k).set(w);
  f.get(p.rows).get(p.b).i32(2).op('i32.shl', 'i32.add').set(end);
  f.get(p.tmp).set(t);
  f.block((done) => f.loop((next) => {
    f.get(k).get(end).op('i32.ge_u').brIf(done);
    f.get(k).mem('i32.load').set(r);
    f.comment('goesLeft = 4 when the row goes left, else 0 (branch-free: the side is a coin flip to the predictor)');
    f.get(p.cb).get(r).op('i32.add').mem('i32.load8_u');
    if (bundle) f.get(p.key).op('i32.ne');
    else f.get(p.key).op('i32.sub').i32(1).op('i32.sub').i32(31).op('i32.shr_u');
    f.i32(2).op('i32.shl').set(l);
    f.comment('the row goes to both sides; only the side it belongs to advances');
    f.get(w).get(r).mem('i32.store');
    f.get(t).get(r).mem('i32.store');
    f.get(w).get(l).op('i32.add').set(w);
    f.get(t).i32(4).get(l).op('i32.sub', 'i32.add').set(t);
    f.get(k).i32(4).op('i32.add').set(k);
    f.br(next);
  }));
  f.comment('the right side after the left one, in order');
  f.get(p.tmp).set(k).get(w).set(r);
  f.block((done) => f.loop((next) => {
    f.get(k).get(t).op('i32.ge_u').brIf(done);
    f.get(r).get(k).mem('i32.load').mem('i32.store');
    f.get(k).i32(4).op('i32.add').set(k);
    f.get(r).i32(4).op('i32.add').set(r);
    f.br(next);
  }));
  f.get(w).get(p.rows).op('i32.sub').i32(2).op('i32.shr_u');
}

/** pnum and pbun over a shared memory of `pages` pages */
export function partitionKernel(pages: number): ModuleBuilder {
  const m = new ModuleBuilder('shard-partition', { min: pages, max: pages, shared: true });
  m.func('pnum', PARTITION_PARAMS, (f) => partitionBody(f, false), ['i32']);
  m.func('pbun', PARTITION_PARAMS, (f) => partitionBody(f, true), ['i32']);
  return m;
}

/** The kernels over `memory` (a shared memory of fixed size; small modules compile at once). */
export function partitionKernels(memory: WebAssembly.Memory): PartitionKernels {
  const pages = sharedMemory(memory).min;
  return instantiate<PartitionKernels>(cache.compiled(`partition:${pages}`, () => partitionKernel(pages)), memory);
}

// ---- histogram kernels ----------------------------------------------------------------------
// Generated per binned layout and column range (as the JavaScript kernels before them were):
// the column loop unrolled with each column's byte and slot offsets as constants. Every slot
// receives the same additions in the same order (f64 adds, as JavaScript's), so histograms are
// bit for bit those of the JavaScript kernels.

/** Where the row data lives in the shared memory (byte addresses). */
export interface HistLayout { rowsAt: number; binsAt: number; gAt: number; hAt: number; nCols: number }

export interface HistKernels {
  /** rows at positions [k0, k1) of columns [c0, c1) into the histogram at byte address hist */
  rows(hist: number, k0: number, k1: number): void;
  /** an even count of rows in pairs: the first of each pair into hist, the second into h2 */
  pairs(hist: number, h2: number, k0: number, k1: number): void;
}

/** The statistics' row order: one g (and h) per row id, bins nCols bytes per row id. */
function histBody(f: FunctionBuilder, L: HistLayout, colOffset: Int32Array, c0: number, c1: number, stride: 2 | 3, counts: boolean, pairs: boolean): void {
  const p = f.params;
  const hist = p.hist!, h2 = p.h2, k0 = p.k0!, k1 = p.k1!;
  const k = f.local('i32', 'k'), e = f.local('i32', 'end'), bi = f.local('i32', 'binsI'), bj = f.local('i32', 'binsJ');
  const q = f.local('i32', 'cellI'), u = f.local('i32', 'cellJ');
  const gi = f.local('f64', 'gI'), hi = f.local('f64', 'hI'), gj = f.local('f64', 'gJ'), hj = f.local('f64', 'hJ');
  const binBytes = stride * 8;
  /** loads a row's statistics: its id from rows[k + at], then g (and h), and its bins address */
  const loadRow = (at: number, bl: Local, gl: Local, hl: Local) => {
    f.get(k).mem('i32.load', at).tee(bl);
    f.i32(3).op('i32.shl').mem('f64.load', L.gAt).set(gl);
    if (stride === 3) f.get(bl).i32(3).op('i32.shl').mem('f64.load', L.hAt).set(hl);
    f.get(bl).i32(L.nCols).op('i32.mul').set(bl);
  };
  /** the cell updates of column col for the row whose bins start at bl, into the histogram at arr */
  const cell = (col: number, arr: Local, bl: Local, ql: Local, gl: Local, hl: Local) => {
    const o = colOffset[col]! * binBytes;
    f.get(arr).get(bl).mem('i32.load8_u', L.binsAt + col).i32(binBytes).op('i32.mul', 'i32.add').set(ql);
    f.get(ql).get(ql).mem('f64.load', o).get(gl).op('f64.add').mem('f64.store', o);
    if (stride === 3) f.get(ql).get(ql).mem('f64.load', o + 8).get(hl).op('f64.add').mem('f64.store', o + 8);
    if (counts) { const oc = o + (stride - 1) * 8; f.get(ql).get(ql).mem('f64.load', oc).f64(1).op('f64.add').mem('f64.store', oc); }
  };
  f.i32(L.rowsAt).get(k0).i32(2).op('i32.shl', 'i32.add').set(k);
  f.i32(L.rowsAt).get(k1).i32(2).op('i32.shl', 'i32.add').set(e);
  f.block((done) => f.loop((next) => {
    f.get(k).get(e).op('i32.ge_u').brIf(done);
    loadRow(0, bi, gi, hi);
    if (pairs) loadRow(4, bj, gj, hj);
    for (let col = c0; col < c1; col++) {
      cell(col, hist, bi, q, gi, hi);
      if (pairs) cell(col, h2!, bj, u, gj, hj);
    }
    f.get(k).i32(pairs ? 8 : 4).op('i32.add').set(k);
    f.br(next);
  }));
}

/** rows and pairs for columns [c0, c1) of a binned layout, over a shared memory of `pages` pages */
export function histKernel(pages: number, L: HistLayout, colOffset: Int32Array, c0: number, c1: number, stride: 2 | 3, counts: boolean): ModuleBuilder {
  const m = new ModuleBuilder('shard-histogram', { min: pages, max: pages, shared: true });
  m.func('rows', { hist: 'i32', k0: 'i32', k1: 'i32' }, (f) => histBody(f, L, colOffset, c0, c1, stride, counts, false));
  m.func('pairs', { hist: 'i32', h2: 'i32', k0: 'i32', k1: 'i32' }, (f) => histBody(f, L, colOffset, c0, c1, stride, counts, true));
  return m;
}

/** The histogram kernels of columns [c0, c1) over `memory`; counts false leaves count slots alone. */
export function histKernels(memory: WebAssembly.Memory, L: HistLayout, colOffset: Int32Array, c0: number, c1: number, stride: 2 | 3,
  counts: boolean): HistKernels {
  const pages = sharedMemory(memory).min;
  // every parameter the kernel bakes in: the columns' offsets of [c0, c1) only
  const key = `hist:${pages}:${L.rowsAt},${L.binsAt},${L.gAt},${L.hAt},${L.nCols}:${c0},${c1}:${stride}:${counts}:${colOffset.subarray(c0, c1).join(',')}`;
  return instantiate<HistKernels>(cache.compiled(key, () => histKernel(pages, L, colOffset, c0, c1, stride, counts)), memory);
}

// ---- histogram arithmetic --------------------------------------------------------------------
// Element-wise over f64 arrays in the shared memory, two lanes at a time: each element gets the
// same single IEEE operation as the JavaScript loops did (a subtraction, an addition), so the
// results are identical.

export interface VectorKernels {
  /** dst[i] -= src[i] for i < count (addresses in bytes, count in f64 elements) */
  sub(dst: number, src: number, count: number): void;
  /** dst[i] += src[i] */
  add(dst: number, src: number, count: number): void;
  /** dst[i] = 0 */
  zero(dst: number, count: number): void;
}

/** dst[i] op= src[i]: two lanes a step, then the odd element */
function elementwiseBody(f: FunctionBuilder, vectorOp: 'f64x2.sub' | 'f64x2.add', scalarOp: 'f64.sub' | 'f64.add'): void {
  const { dst, src, count } = f.params;
  const i = f.local('i32', 'i'), end = f.local('i32', 'end'), pairsEnd = f.local('i32', 'pairsEnd');
  f.get(count).i32(3).op('i32.shl').tee(end).i32(-16).op('i32.and').set(pairsEnd);
  f.block((done) => f.loop((next) => {
    f.get(i).get(pairsEnd).op('i32.ge_u').brIf(done);
    f.get(dst).get(i).op('i32.add');
    f.get(dst).get(i).op('i32.add').mem('v128.load', 0, 1);
    f.get(src).get(i).op('i32.add').mem('v128.load', 0, 1);
    f.op(vectorOp).mem('v128.store', 0, 1);
    f.get(i).i32(16).op('i32.add').set(i);
    f.br(next);
  }));
  f.comment('an odd element left');
  f.get(i).get(end).op('i32.lt_u').if_(() => {
    f.get(dst).get(i).op('i32.add');
    f.get(dst).get(i).op('i32.add').mem('f64.load');
    f.get(src).get(i).op('i32.add').mem('f64.load');
    f.op(scalarOp).mem('f64.store');
  });
}

/** sub, add and zero over a shared memory of `pages` pages */
export function vectorKernel(pages: number): ModuleBuilder {
  const m = new ModuleBuilder('shard-vector', { min: pages, max: pages, shared: true });
  const vec3 = { dst: 'i32', src: 'i32', count: 'i32' } as const;
  m.func('sub', vec3, (f) => elementwiseBody(f, 'f64x2.sub', 'f64.sub'));
  m.func('add', vec3, (f) => elementwiseBody(f, 'f64x2.add', 'f64.add'));
  m.func('zero', { dst: 'i32', count: 'i32' }, (f, p) => {
    f.comment('memory.fill(dst, 0, count * 8)');
    f.get(p.dst).i32(0).get(p.count).i32(3).op('i32.shl', 'memory.fill');
  });
  return m;
}

export function vectorKernels(memory: WebAssembly.Memory): VectorKernels {
  const pages = sharedMemory(memory).min;
  return instantiate<VectorKernels>(cache.compiled(`vector:${pages}`, () => vectorKernel(pages)), memory);
}

// ---- plain TypeScript twins -----------------------------------------------------------------
// The same operations on the same memory, in the same order, for the differential tests (which
// run both on copies of one random memory and compare every byte).

/** pnum (bundle false) or pbun (bundle true), on `buffer` */
export function partitionTwin(buffer: ArrayBufferLike, bundle: boolean, rows: number, tmp: number, cb: number, a: number, b: number, key: number): number {
  const i32 = new Int32Array(buffer), u8 = new Uint8Array(buffer);
  let w = rows + 4 * a, t = tmp;
  for (let k = w, end = rows + 4 * b; k < end; k += 4) {
    const r = i32[k >> 2]!, c = u8[cb + r]!;
    const left = bundle ? c !== key : c <= key;
    i32[w >> 2] = r; i32[t >> 2] = r;
    if (left) w += 4; else t += 4;
  }
  for (let k = tmp, r = w; k < t; k += 4, r += 4) i32[r >> 2] = i32[k >> 2]!;
  return (w - rows) >>> 2;
}

/** rows (h2 < 0) or pairs of the histogram kernel for columns [c0, c1), on `buffer` */
export function histTwin(buffer: ArrayBufferLike, L: HistLayout, colOffset: Int32Array, c0: number, c1: number, stride: 2 | 3, counts: boolean,
  hist: number, h2: number, k0: number, k1: number): void {
  const i32 = new Int32Array(buffer), u8 = new Uint8Array(buffer), f64 = new Float64Array(buffer);
  const binBytes = stride * 8;
  const cell = (col: number, arr: number, row: number, g: number, h: number) => {
    const q = arr + u8[L.binsAt + row * L.nCols + col]! * binBytes + colOffset[col]! * binBytes;
    f64[q >> 3] += g;
    if (stride === 3) f64[(q + 8) >> 3] += h;
    if (counts) f64[(q + (stride - 1) * 8) >> 3] += 1;
  };
  const step = h2 < 0 ? 1 : 2;
  for (let k = k0; k < k1; k += step) {
    const ri = i32[(L.rowsAt >> 2) + k]!, gi = f64[(L.gAt >> 3) + ri]!, hi = stride === 3 ? f64[(L.hAt >> 3) + ri]! : 0;
    const rj = step === 2 ? i32[(L.rowsAt >> 2) + k + 1]! : 0;
    const gj = step === 2 ? f64[(L.gAt >> 3) + rj]! : 0, hj = step === 2 && stride === 3 ? f64[(L.hAt >> 3) + rj]! : 0;
    for (let col = c0; col < c1; col++) {
      cell(col, hist, ri, gi, hi);
      if (step === 2) cell(col, h2, rj, gj, hj);
    }
  }
}

/** sub, add or zero of the vector kernels, on `buffer` (addresses in bytes, count in float64) */
export function vectorTwin(buffer: ArrayBufferLike, op: 'sub' | 'add' | 'zero', dst: number, src: number, count: number): void {
  const f64 = new Float64Array(buffer), d = dst >> 3, s = src >> 3;
  for (let i = 0; i < count; i++) f64[d + i] = op === 'zero' ? 0 : op === 'sub' ? f64[d + i]! - f64[s + i]! : f64[d + i]! + f64[s + i]!;
}
