// The row partitions of histogram boosting (shards.ts) as WebAssembly over the shards' shared
// memory. The JavaScript loops ran at about 4-5 ns a row (bounds checks on three typed arrays
// and their reloaded bases in a loop whose stores have data-dependent addresses); the same loop
// here runs at about 1.3 ns. Same rows, same order: only the speed differs.
//
// Exports (addresses in bytes, positions in rows):
//   pnum(rows, tmp, cb, a, b, bin)  stable partition of rows[a..b) by cb[row] <= bin
//   pbun(rows, tmp, cb, a, b, code) the same by cb[row] != code (a bundle member's "0" side)
// Both return the boundary position; tmp is the calling thread's scratch.
import { uleb, sleb, vec, section, name } from '../../util/wasm.ts';

const LGET = 0x20, LSET = 0x21, LTEE = 0x22, I32C = 0x41, I32LOAD = 0x28, I32LOAD8U = 0x2d, I32STORE = 0x36;
const I32ADD = 0x6a, I32SUB = 0x6b, I32SHL = 0x74, I32SHRU = 0x76, I32GEU = 0x4f, I32NE = 0x47;
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR = 0x0c, BRIF = 0x0d, VOID = 0x40;

export interface PartitionKernels {
  pnum(rows: number, tmp: number, cb: number, a: number, b: number, bin: number): number;
  pbun(rows: number, tmp: number, cb: number, a: number, b: number, code: number): number;
}

/** One partition function; bundle: the left test is cb[r] != key instead of cb[r] <= key. */
function partitionBody(bundle: boolean): number[] {
  // params: rows, tmp, cb, a, b, key; locals: w, t, k, r, l, end
  const ROWS = 0, TMP = 1, CB = 2, A = 3, B = 4, KEY = 5, W = 6, T = 7, K = 8, R = 9, L = 10, E = 11;
  const c: number[] = [];
  const get = (l: number) => c.push(LGET, ...uleb(l));
  const set = (l: number) => c.push(LSET, ...uleb(l));
  const i32 = (v: number) => c.push(I32C, ...sleb(v));
  const mem = (align: number) => [...uleb(align), 0];
  get(ROWS); get(A); i32(2); c.push(I32SHL, I32ADD, LTEE, ...uleb(K)); set(W);
  get(ROWS); get(B); i32(2); c.push(I32SHL, I32ADD); set(E);
  get(TMP); set(T);
  c.push(BLOCK, VOID, LOOP, VOID);
  get(K); get(E); c.push(I32GEU, BRIF, 1);
  get(K); c.push(I32LOAD, ...mem(2)); set(R);
  // l = 4 when the row goes left, else 0 (branch-free: the side is a coin flip to the predictor)
  get(CB); get(R); c.push(I32ADD, I32LOAD8U, ...mem(0));
  if (bundle) { get(KEY); c.push(I32NE); } else { get(KEY); c.push(I32SUB); i32(1); c.push(I32SUB); i32(31); c.push(I32SHRU); }
  i32(2); c.push(I32SHL); set(L);
  get(W); get(R); c.push(I32STORE, ...mem(2));
  get(T); get(R); c.push(I32STORE, ...mem(2));
  get(W); get(L); c.push(I32ADD); set(W);
  get(T); i32(4); get(L); c.push(I32SUB, I32ADD); set(T);
  get(K); i32(4); c.push(I32ADD); set(K);
  c.push(BR, 0, END, END);
  // the right side after the left one, in order
  get(TMP); set(K); get(W); set(R);
  c.push(BLOCK, VOID, LOOP, VOID);
  get(K); get(T); c.push(I32GEU, BRIF, 1);
  get(R); get(K); c.push(I32LOAD, ...mem(2), I32STORE, ...mem(2));
  get(K); i32(4); c.push(I32ADD); set(K);
  get(R); i32(4); c.push(I32ADD); set(R);
  c.push(BR, 0, END, END);
  get(W); get(ROWS); c.push(I32SUB); i32(2); c.push(I32SHRU);
  c.push(END);
  return [...vec([[...uleb(6), 0x7f]]), ...c];
}

function moduleBytes(pages: number): Uint8Array {
  const fn = (body: number[]) => [...uleb(body.length), ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 6, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f]])), // (i32 x 6) -> i32
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x03, ...uleb(pages), ...uleb(pages)]])), // shared memory
    ...section(3, vec([[0], [0]])),
    ...section(7, vec([[...name('pnum'), 0x00, 0], [...name('pbun'), 0x00, 1]])),
    ...section(10, vec([fn(partitionBody(false)), fn(partitionBody(true))])),
  ]);
}

/** The kernels over `memory` (a shared memory of fixed size; small modules compile at once). */
export function partitionKernels(memory: WebAssembly.Memory): PartitionKernels {
  const pages = memory.buffer.byteLength / 65536;
  const inst = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(pages)), { env: { mem: memory } });
  return inst.exports as unknown as PartitionKernels;
}

// ---- histogram kernels ----------------------------------------------------------------------
// Generated per binned layout and column range (as the JavaScript kernels before them were):
// the column loop unrolled with each column's byte and slot offsets as constants. Every slot
// receives the same additions in the same order (f64 adds, as JavaScript's), so histograms are
// bit for bit those of the JavaScript kernels.

const F64LOAD = 0x2b, F64STORE = 0x39, F64ADD = 0xa0, F64C = 0x44, I32MUL = 0x6c;

/** Where the row data lives in the shared memory (byte addresses). */
export interface HistLayout { rowsAt: number; binsAt: number; gAt: number; hAt: number; nCols: number }

export interface HistKernels {
  /** rows at positions [k0, k1) of columns [c0, c1) into the histogram at byte address hist */
  rows(hist: number, k0: number, k1: number): void;
  /** an even count of rows in pairs: the first of each pair into hist, the second into h2 */
  pairs(hist: number, h2: number, k0: number, k1: number): void;
}

const f64const = (v: number): number[] => { const b = new Uint8Array(8); new DataView(b.buffer).setFloat64(0, v, true); return [F64C, ...b]; };

function histBody(L: HistLayout, colOffset: Int32Array, c0: number, c1: number, stride: 2 | 3, counts: boolean, pairs: boolean): number[] {
  // params: hist, (h2,) k0, k1; locals follow
  const HIST = 0, H2 = pairs ? 1 : -1, K0 = pairs ? 2 : 1, K1 = pairs ? 3 : 2;
  const base = pairs ? 4 : 3;
  // i32 locals: k, e, b (row i's first byte), d (row j's), q, u; f64 locals: gi, hi, gj, hj
  const K = base, E = base + 1, B = base + 2, D = base + 3, Q = base + 4, U = base + 5;
  const GI = base + 6, HI = base + 7, GJ = base + 8, HJ = base + 9;
  const c: number[] = [];
  const get = (l: number) => c.push(LGET, ...uleb(l));
  const set = (l: number) => c.push(LSET, ...uleb(l));
  const i32 = (v: number) => c.push(I32C, ...sleb(v));
  const mem = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];
  const binBytes = stride * 8;
  /** loads row `row`'s statistics: row id from rows[k + at], then g (and h), and its bins address */
  const loadRow = (at: number, bl: number, gl: number, hl: number) => {
    get(K); c.push(I32LOAD, ...mem(2, at)); c.push(LTEE, ...uleb(bl));
    i32(3); c.push(I32SHL, F64LOAD, ...mem(3, L.gAt)); set(gl);
    if (stride === 3) { get(bl); i32(3); c.push(I32SHL, F64LOAD, ...mem(3, L.hAt)); set(hl); }
    get(bl); i32(L.nCols); c.push(I32MUL); set(bl);
  };
  /** the cell updates of column col for the row whose bins start at local bl, into array at local arr */
  const cell = (col: number, arr: number, bl: number, ql: number, gl: number, hl: number) => {
    const o = colOffset[col]! * binBytes;
    get(arr); get(bl); c.push(I32LOAD8U, ...mem(0, L.binsAt + col)); i32(binBytes); c.push(I32MUL, I32ADD); set(ql);
    get(ql); get(ql); c.push(F64LOAD, ...mem(3, o)); get(gl); c.push(F64ADD, F64STORE, ...mem(3, o));
    if (stride === 3) { get(ql); get(ql); c.push(F64LOAD, ...mem(3, o + 8)); get(hl); c.push(F64ADD, F64STORE, ...mem(3, o + 8)); }
    if (counts) { const oc = o + (stride - 1) * 8; get(ql); get(ql); c.push(F64LOAD, ...mem(3, oc), ...f64const(1), F64ADD, F64STORE, ...mem(3, oc)); }
  };
  i32(L.rowsAt); get(K0); i32(2); c.push(I32SHL, I32ADD); set(K);
  i32(L.rowsAt); get(K1); i32(2); c.push(I32SHL, I32ADD); set(E);
  c.push(BLOCK, VOID, LOOP, VOID);
  get(K); get(E); c.push(I32GEU, BRIF, 1);
  loadRow(0, B, GI, HI);
  if (pairs) loadRow(4, D, GJ, HJ);
  for (let col = c0; col < c1; col++) {
    cell(col, HIST, B, Q, GI, HI);
    if (pairs) cell(col, H2, D, U, GJ, HJ);
  }
  get(K); i32(pairs ? 8 : 4); c.push(I32ADD); set(K);
  c.push(BR, 0, END, END, END);
  return [...vec([[...uleb(6), 0x7f], [...uleb(4), 0x7c]]), ...c];
}

/** The histogram kernels of columns [c0, c1) over `memory`; counts false leaves count slots alone. */
export function histKernels(memory: WebAssembly.Memory, L: HistLayout, colOffset: Int32Array, c0: number, c1: number, stride: 2 | 3, counts: boolean): HistKernels {
  const pages = memory.buffer.byteLength / 65536;
  const fn = (body: number[]) => [...uleb(body.length), ...body];
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 3, 0x7f, 0x7f, 0x7f, 0], [0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0]])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x03, ...uleb(pages), ...uleb(pages)]])),
    ...section(3, vec([[0], [1]])),
    ...section(7, vec([[...name('rows'), 0x00, 0], [...name('pairs'), 0x00, 1]])),
    ...section(10, vec([fn(histBody(L, colOffset, c0, c1, stride, counts, false)), fn(histBody(L, colOffset, c0, c1, stride, counts, true))])),
  ]);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } });
  return inst.exports as unknown as HistKernels;
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

function elementwiseBody(simdOp: number, scalarOp: number): number[] {
  const DST = 0, SRC = 1, N = 2, I = 3, E = 4, E2 = 5;
  const c: number[] = [];
  const get = (l: number) => c.push(LGET, ...uleb(l));
  const set = (l: number) => c.push(LSET, ...uleb(l));
  const i32 = (v: number) => c.push(I32C, ...sleb(v));
  get(N); i32(3); c.push(I32SHL, LTEE, ...uleb(E)); i32(-16); c.push(0x71 /* i32.and */); set(E2);
  c.push(BLOCK, VOID, LOOP, VOID);
  get(I); get(E2); c.push(I32GEU, BRIF, 1);
  get(DST); get(I); c.push(I32ADD);
  get(DST); get(I); c.push(I32ADD, 0xfd, 0x00, 0, 0); // v128.load
  get(SRC); get(I); c.push(I32ADD, 0xfd, 0x00, 0, 0);
  c.push(0xfd, ...uleb(simdOp));
  c.push(0xfd, 0x0b, 0, 0); // v128.store
  get(I); i32(16); c.push(I32ADD); set(I);
  c.push(BR, 0, END, END);
  // an odd element left
  get(I); get(E); c.push(0x49 /* i32.lt_u */, 0x04 /* if */, VOID);
  get(DST); get(I); c.push(I32ADD);
  get(DST); get(I); c.push(I32ADD, F64LOAD, 3, 0);
  get(SRC); get(I); c.push(I32ADD, F64LOAD, 3, 0);
  c.push(scalarOp, F64STORE, 3, 0, END);
  c.push(END);
  return [...vec([[...uleb(3), 0x7f]]), ...c];
}

function zeroBody(): number[] {
  // memory.fill(dst, 0, count * 8)
  return [...vec([]), LGET, 0, I32C, 0, LGET, 1, I32C, 3, I32SHL, 0xfc, 0x0b, 0x00, END];
}

export function vectorKernels(memory: WebAssembly.Memory): VectorKernels {
  const pages = memory.buffer.byteLength / 65536;
  const fn = (body: number[]) => [...uleb(body.length), ...body];
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 3, 0x7f, 0x7f, 0x7f, 0], [0x60, 2, 0x7f, 0x7f, 0]])),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x03, ...uleb(pages), ...uleb(pages)]])),
    ...section(3, vec([[0], [0], [1]])),
    ...section(7, vec([[...name('sub'), 0x00, 0], [...name('add'), 0x00, 1], [...name('zero'), 0x00, 2]])),
    // f64x2.sub = 0xf1, f64x2.add = 0xf0; f64.sub = 0xa1, f64.add = 0xa0
    ...section(10, vec([fn(elementwiseBody(0xf1, 0xa1)), fn(elementwiseBody(0xf0, F64ADD)), fn(zeroBody())])),
  ]);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } });
  return inst.exports as unknown as VectorKernels;
}
