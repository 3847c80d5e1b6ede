// The implicit-ALS row solver (als-kernel.ts's solveRows) as WebAssembly SIMD, generated for the
// exact factor count and element type: float32 factors are solved with f32x4 arithmetic (like
// implicit's CPU CG solver), float64 factors with f64x2. Everything is unrolled over the f
// factors, so a row's CG step is straight-line vector code with no bounds checks; scalar
// JavaScript spends most of its time on exactly those loads and checks.
//
// The module imports one shared memory (an "arena", see AlsArena) holding both CSR sides, both
// factor matrices, the Gram matrix and per-thread scratch, so the ALS worker threads instantiate
// it over the same data without copying. Each row is solved by one thread from the fixed side
// and the Gram matrix only, so results do not depend on the thread count.
//
// Exports:
//   solve(lo, hi, indptr, indices, cm1, X, Y, A, scratch, cgSteps)   rows [lo, hi) of X
//   gram(Y, lo, hi, out)   out (f x f, float64) = sum over rows [lo, hi) of Y of y y^T
// (all pointers are byte offsets into the memory).
import { KernelCache, ModuleBuilder, instantiate, type FuncRef, type FunctionBuilder, type Local, type OpName, type ValType } from '../../util/wasm.ts';

/** The instructions of one element type (float32 factors run f32x4, float64 f64x2). */
interface Ty {
  /** element size in bytes, lanes per v128 */
  es: number; lanes: number; val: ValType;
  add: OpName; sub: OpName; mul: OpName; div: OpName; lt: OpName;
  splatLoad: OpName; splat: OpName; extract: OpName; vadd: OpName; vsub: OpName; vmul: OpName; vneg: OpName;
}
const TF32: Ty = {
  es: 4, lanes: 4, val: 'f32', add: 'f32.add', sub: 'f32.sub', mul: 'f32.mul', div: 'f32.div', lt: 'f32.lt',
  splatLoad: 'v128.load32_splat', splat: 'f32x4.splat', extract: 'f32x4.extract_lane',
  vadd: 'f32x4.add', vsub: 'f32x4.sub', vmul: 'f32x4.mul', vneg: 'f32x4.neg',
};
const TF64: Ty = {
  es: 8, lanes: 2, val: 'f64', add: 'f64.add', sub: 'f64.sub', mul: 'f64.mul', div: 'f64.div', lt: 'f64.lt',
  splatLoad: 'v128.load64_splat', splat: 'f64x2.splat', extract: 'f64x2.extract_lane',
  vadd: 'f64x2.add', vsub: 'f64x2.sub', vmul: 'f64x2.mul', vneg: 'f64x2.neg',
};

/** a constant of the element type */
const cnst = (fn: FunctionBuilder, t: Ty, v: number) => (t.val === 'f32' ? fn.f32(v) : fn.f64(v));

/** Pushes the horizontal sum of v128 local `v` (lanes added in order 0, 1, ...). */
function hsum(fn: FunctionBuilder, t: Ty, v: Local): void {
  fn.get(v).lane(t.extract, 0);
  for (let l = 1; l < t.lanes; l++) fn.get(v).lane(t.extract, l).op(t.add);
}

/**
 * matvec(A, v, out): out = A v: A (f x f, symmetric, row-major), v and out f-vectors.
 * A runtime loop over v's entries, not straight-line code: unrolled, V8's TurboFan hoists all
 * the loads to the top and spills them to the stack, which ran at half the speed.
 */
function buildMatvec(fn: FunctionBuilder, f: number, t: Ty): void {
  const { A, v: V, out: OUT } = fn.params;
  // four output chunks at a time (column b of A is row b by symmetry: contiguous loads)
  const C = f / t.lanes, H = 4; // measured: 8 or 16 accumulators run at half the speed
  const acc = fn.locals('v128', Math.min(H, C), 'acc'), s = fn.local('v128', 's');
  const pa = fn.local('i32', 'pa'), pv = fn.local('i32', 'pv'), end = fn.local('i32', 'end');
  fn.get(V).i32(f * t.es).op('i32.add').set(end);
  for (let h0 = 0; h0 < C; h0 += H) {
    const h1 = Math.min(C, h0 + H);
    for (let c = h0; c < h1; c++) fn.v128zero().set(acc[c - h0]!);
    fn.get(A).i32(h0 * 16).op('i32.add').set(pa);
    fn.get(V).set(pv);
    fn.loop((next) => {
      fn.get(pv).mem(t.splatLoad).set(s);
      for (let c = h0; c < h1; c++) fn.get(acc[c - h0]!).get(pa).mem('v128.load', (c - h0) * 16).get(s).op(t.vmul, t.vadd).set(acc[c - h0]!);
      fn.get(pa).i32(f * t.es).op('i32.add').set(pa);
      fn.get(pv).i32(t.es).op('i32.add').tee(pv).get(end).op('i32.lt_u').brIf(next);
    });
    for (let c = h0; c < h1; c++) fn.get(OUT).get(acc[c - h0]!).mem('v128.store', c * 16);
  }
}

const SOLVE_PARAMS = {
  lo: 'i32', hi: 'i32', indptr: 'i32', indices: 'i32', cm1: 'i32', X: 'i32', Y: 'i32', A: 'i32', scr: 'i32', steps: 'i32',
} as const;

/**
 * solve(lo, hi, indptr, indices, cm1, X, Y, A, scratch, cgSteps). Scratch holds r, p, ap
 * (f elements each). Same algorithm, step for step, as solveRows in als-kernel.ts (one row at a
 * time instead of four in lock-step; each row's arithmetic is independent of the others).
 */
function buildSolve(fn: FunctionBuilder<typeof SOLVE_PARAMS>, f: number, t: Ty, matvec: FuncRef): void {
  const P = fn.params;
  const C = f / t.lanes, rowBytes = f * t.es;
  const u = fn.local('i32', 'u'), k = fn.local('i32', 'k'), kEnd = fn.local('i32', 'kEnd'), x = fn.local('i32', 'x');
  const yo = fn.local('i32', 'yo'), step = fn.local('i32', 'step'), j = fn.local('i32', 'j'), oj = fn.local('i32', 'oj');
  const yj = fn.local('i32', 'yj'), r = fn.local('i32', 'r'), p = fn.local('i32', 'p'), ap = fn.local('i32', 'ap');
  const d = fn.local(t.val, 'd'), cm = fn.local(t.val, 'cm'), rs = fn.local(t.val, 'rs'), rn = fn.local(t.val, 'rn');
  const acc = fn.locals('v128', 4, 'acc'), S = fn.local('v128', 'S');
  const acc0 = acc[0]!;
  const vload = (off: number) => fn.mem('v128.load', off), vstore = (off: number) => fn.mem('v128.store', off);

  /**
   * out += sum over the row's items of coef_k y_k, d_k = y_k . v, with v and out f-vectors in
   * memory (scratch, L1): held in v128 locals across the loop they were spilled anyway.
   */
  const nnzLoop = (residual: boolean, v: Local, out: Local) => {
    // one item per pass: measured, two or four (sharing the loads of v and out) were no faster
    fn.get(P.indptr).get(u).i32(4).op('i32.mul', 'i32.add').mem('i32.load').set(k);
    fn.block((done) => fn.loop((next) => {
      fn.get(k).get(kEnd).op('i32.ge_s').brIf(done);
      fn.comment('yo = Y + indices[k] * rowBytes');
      fn.get(P.Y).get(P.indices).get(k).i32(4).op('i32.mul', 'i32.add').mem('i32.load').i32(rowBytes).op('i32.mul', 'i32.add').set(yo);
      // runtime loops over blocks of four chunks (see buildMatvec), then the C % 4 left unrolled
      const blocks = Math.floor(C / 4), rest = blocks * 4;
      for (let q = 0; q < Math.min(4, C); q++) fn.v128zero().set(acc[q]!);
      const blockLoop = (body: () => void) => {
        if (blocks === 0) return;
        fn.i32(0).set(j);
        fn.loop((again) => {
          body();
          fn.get(j).i32(64).op('i32.add').tee(j).i32(blocks * 64).op('i32.lt_u').brIf(again);
        });
      };
      blockLoop(() => {
        for (let q = 0; q < 4; q++) {
          fn.get(acc[q]!).get(yo).get(j).op('i32.add'); vload(q * 16);
          fn.get(v).get(j).op('i32.add'); vload(q * 16);
          fn.op(t.vmul, t.vadd).set(acc[q]!);
        }
      });
      for (let c = rest; c < C; c++) { fn.get(acc[c - rest]!).get(yo); vload(c * 16).get(v); vload(c * 16).op(t.vmul, t.vadd).set(acc[c - rest]!); }
      for (let q = 1; q < Math.min(4, C); q++) fn.get(acc0).get(acc[q]!).op(t.vadd).set(acc0);
      hsum(fn, t, acc0); fn.set(d);
      fn.comment('cm = alpha * f(w) (stored float32)');
      fn.get(P.cm1).get(k).i32(4).op('i32.mul', 'i32.add').mem('f32.load');
      if (t.val === 'f64') fn.op('f64.promote_f32');
      fn.set(cm);
      if (residual) { cnst(fn, t, 1).get(cm).op(t.add).get(cm).get(d).op(t.mul, t.sub); } else fn.get(cm).get(d).op(t.mul);
      fn.op(t.splat).set(S);
      blockLoop(() => {
        fn.get(out).get(j).op('i32.add').set(oj);
        fn.get(yo).get(j).op('i32.add').set(yj);
        for (let q = 0; q < 4; q++) { fn.get(oj).get(oj); vload(q * 16).get(yj); vload(q * 16).get(S).op(t.vmul, t.vadd); vstore(q * 16); }
      });
      for (let c = rest; c < C; c++) { fn.get(out).get(out); vload(c * 16).get(yo); vload(c * 16).get(S).op(t.vmul, t.vadd); vstore(c * 16); }
      fn.get(k).i32(1).op('i32.add').set(k);
      fn.br(next);
    }));
  };
  /** pushes dot(a, b) of two f-vectors in memory */
  const dot = (pa: Local, pb: Local) => {
    for (let c = 0; c < C; c++) {
      fn.get(pa); vload(c * 16).get(pb); vload(c * 16).op(t.vmul);
      if (c >= 4) fn.get(acc[c & 3]!).op(t.vadd);
      fn.set(acc[c & 3]!);
    }
    for (let q = 1; q < Math.min(4, C); q++) fn.get(acc0).get(acc[q]!).op(t.vadd).set(acc0);
    hsum(fn, t, acc0);
  };

  fn.get(P.scr).set(r);
  fn.get(P.scr).i32(rowBytes).op('i32.add').set(p);
  fn.get(P.scr).i32(2 * rowBytes).op('i32.add').set(ap);
  fn.get(P.lo).set(u);
  fn.block((rowsDone) => fn.loop((nextRow) => {
    fn.get(u).get(P.hi).op('i32.ge_u').brIf(rowsDone);
    fn.get(P.X).get(u).i32(rowBytes).op('i32.mul', 'i32.add').set(x);
    fn.get(P.indptr).get(u).i32(4).op('i32.mul', 'i32.add').mem('i32.load', 4).set(kEnd);
    fn.comment('r = b - A_u x = sum_k (1 + cm - cm y.x) y - (YtY + reg) x');
    fn.get(P.A).get(x).get(r).call(matvec);
    for (let c = 0; c < C; c++) { fn.get(r).get(r); vload(c * 16).op(t.vneg); vstore(c * 16); }
    nnzLoop(true, x, r);
    fn.comment('p = r; rs = r.r');
    for (let c = 0; c < C; c++) { fn.get(p).get(r); vload(c * 16); vstore(c * 16); }
    dot(r, r); fn.set(rs);
    fn.i32(0).set(step);
    fn.block((stepsDone) => fn.loop((nextStep) => {
      fn.get(step).get(P.steps).op('i32.ge_s').brIf(stepsDone);
      fn.get(rs); cnst(fn, t, 1e-20).op(t.lt).brIf(stepsDone); // converged: leave the row as it is
      fn.comment('ap = A p + sum_k cm (y.p) y');
      fn.get(P.A).get(p).get(ap).call(matvec);
      nnzLoop(false, p, ap);
      fn.comment('a = rs / p.ap; x += a p; r -= a ap');
      fn.get(rs); dot(p, ap); fn.op(t.div, t.splat).set(S);
      for (let c = 0; c < C; c++) {
        fn.get(x).get(x); vload(c * 16).get(p); vload(c * 16).get(S).op(t.vmul, t.vadd); vstore(c * 16);
        fn.get(r).get(r); vload(c * 16).get(ap); vload(c * 16).get(S).op(t.vmul, t.vsub); vstore(c * 16);
      }
      fn.comment('p = r + (rn / rs) p');
      dot(r, r); fn.tee(rn).get(rs).op(t.div, t.splat).set(S);
      for (let c = 0; c < C; c++) { fn.get(p).get(r); vload(c * 16).get(p); vload(c * 16).get(S).op(t.vmul, t.vadd); vstore(c * 16); }
      fn.get(rn).set(rs);
      fn.get(step).i32(1).op('i32.add').set(step);
      fn.br(nextStep);
    }));
    fn.get(u).i32(1).op('i32.add').set(u);
    fn.br(nextRow);
  }));
}

/**
 * gram(Y, lo, hi, out): out (f x f float64, full square) = sum_{r in [lo, hi)} y_r y_r^T,
 * accumulated in the factors' element type per row block and added to out in float64.
 * Columns go in v128 chunks; each row's f x f outer product is added to a block of
 * accumulators held for 8 chunks of one output row a at a time.
 */
function buildGram(fn: FunctionBuilder, f: number, t: Ty): void {
  const P = fn.params;
  const C = f / t.lanes, rowBytes = f * t.es;
  const row = fn.local('i32', 'row'), end = fn.local('i32', 'end'), a = fn.local('i32', 'a'), oa = fn.local('i32', 'oa');
  const acc = fn.locals('v128', C, 'acc'), s = fn.local('v128', 's');
  fn.comment('for each output row a: acc[chunk] = sum_r y_r[a] * y_r[chunk]; then out[a][.] += acc');
  fn.i32(0).set(a);
  fn.block((done) => fn.loop((nextA) => {
    fn.get(a).i32(f).op('i32.ge_u').brIf(done);
    for (let c = 0; c < C; c++) fn.v128zero().set(acc[c]!);
    fn.get(P.Y).get(P.lo).i32(rowBytes).op('i32.mul', 'i32.add').set(row);
    fn.get(P.Y).get(P.hi).i32(rowBytes).op('i32.mul', 'i32.add').set(end);
    fn.block((rowsDone) => fn.loop((nextRow) => {
      fn.get(row).get(end).op('i32.ge_u').brIf(rowsDone);
      fn.get(row).get(a).i32(t.es).op('i32.mul', 'i32.add').mem(t.splatLoad).set(s);
      for (let c = 0; c < C; c++) fn.get(acc[c]!).get(row).mem('v128.load', c * 16).get(s).op(t.vmul, t.vadd).set(acc[c]!);
      fn.get(row).i32(rowBytes).op('i32.add').set(row);
      fn.br(nextRow);
    }));
    fn.comment('out[a][j] += acc lanes (float64)');
    fn.get(P.out).get(a).i32(f * 8).op('i32.mul', 'i32.add').set(oa);
    for (let c = 0; c < C; c++) {
      for (let l = 0; l < t.lanes; l++) {
        const j = c * t.lanes + l;
        fn.get(oa).get(oa).mem('f64.load', j * 8);
        fn.get(acc[c]!).lane(t.extract, l);
        if (t.val === 'f32') fn.op('f64.promote_f32');
        fn.op('f64.add').mem('f64.store', j * 8);
      }
    }
    fn.get(a).i32(1).op('i32.add').set(a);
    fn.br(nextA);
  }));
}

/** The ALS kernels for f factors of one element type. */
export function alsKernel(f: number, dtype: 'float32' | 'float64'): ModuleBuilder {
  const t = dtype === 'float32' ? TF32 : TF64;
  if (f % t.lanes !== 0) throw new Error(`als-wasm: f=${f} is not a multiple of ${t.lanes}`);
  const m = new ModuleBuilder(`als-${dtype}`, { min: 1, max: 65536, shared: true });
  const matvec = m.func('matvec', { A: 'i32', v: 'i32', out: 'i32' }, (fn) => buildMatvec(fn, f, t));
  m.func('solve', SOLVE_PARAMS, (fn) => buildSolve(fn, f, t, matvec));
  m.func('gram', { Y: 'i32', lo: 'i32', hi: 'i32', out: 'i32' }, (fn) => buildGram(fn, f, t));
  return m;
}

export function buildAlsModule(f: number, dtype: 'float32' | 'float64'): Uint8Array { return alsKernel(f, dtype).bytes(); }

const cache = new KernelCache();

/** The compiled module for (f, dtype), or null when f does not fit the SIMD lanes or WebAssembly SIMD is unavailable. */
export function alsModule(f: number, dtype: 'float32' | 'float64'): WebAssembly.Module | null {
  if (f % (dtype === 'float32' ? 4 : 2) !== 0 || f > 1024) return null;
  return cache.get(`${f}:${dtype}`, () => alsKernel(f, dtype));
}

export interface AlsWasmFns {
  solve(lo: number, hi: number, indptr: number, indices: number, cm1: number, X: number, Y: number, A: number, scratch: number, cgSteps: number): void;
  gram(Y: number, lo: number, hi: number, out: number): void;
}

/** An instance over `memory`; pass the main thread's compiled module to a worker so its optimised code is shared. */
export function instantiateAls(f: number, dtype: 'float32' | 'float64', memory: WebAssembly.Memory, module = alsModule(f, dtype)!): AlsWasmFns {
  return instantiate<AlsWasmFns>(module, memory);
}

/** Byte offsets of one CSR side in the arena. */
export interface SideOffsets { indptr: number; indices: number; cm1: number; rows: number; nnz: number }

/** Where everything lives in an ALS arena (byte offsets, 16-byte aligned). */
export interface AlsLayout {
  f: number; dtype: 'float32' | 'float64';
  users: SideOffsets; items: SideOffsets;
  X: number; Y: number;
  /** YtY + reg I in the factors' element type, written by the main thread before each solve */
  A: number;
  /** per-thread slots: CG vectors r, p, ap, then a float64 f x f Gram partial */
  scratch: number; slotBytes: number; slots: number;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

export function alsLayout(
  f: number, dtype: 'float32' | 'float64', nUsers: number, nItems: number, nnz: number, slots: number,
): { layout: AlsLayout; bytes: number } {
  const es = dtype === 'float32' ? 4 : 8;
  let o = 16; // keep address 0 unused
  const take = (bytes: number) => { const at = o; o = align16(o + bytes); return at; };
  const side = (rows: number): SideOffsets => ({ indptr: take((rows + 1) * 4), indices: take(nnz * 4), cm1: take(nnz * 4), rows, nnz });
  const users = side(nUsers), items = side(nItems);
  const X = take(nUsers * f * es), Y = take(nItems * f * es), A = take(f * f * es);
  const slotBytes = align16(3 * f * es) + f * f * 8;
  const scratch = take(slots * slotBytes);
  return { layout: { f, dtype, users, items, X, Y, A, scratch, slotBytes, slots }, bytes: o };
}

/** A shared memory of at least `bytes`, or null when WebAssembly shared memory is unavailable or too small. */
export function alsMemory(bytes: number): WebAssembly.Memory | null {
  const pages = Math.ceil(bytes / 65536);
  if (pages > 65536) return null;
  try { return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }); } catch { return null; }
}

/** the largest arena kept between fits: small fits (tuning, MovieLens-sized) are the ones a fresh memory slows */
export const SPARE_ARENA_MAX = 32 << 20;
let spare: WebAssembly.Memory | null = null;

/**
 * An arena for one fit: the one the last fit gave back when it is large enough, zeroed over
 * `bytes` (as a fresh memory is, so a fit computes the same either way), else a new one. A fresh
 * memory's pages are mapped on first touch, ~2-4 ms per MB written: a few percent of a small fit.
 */
export function takeAlsMemory(bytes: number): WebAssembly.Memory | null {
  if (spare && spare.buffer.byteLength >= bytes) {
    const m = spare;
    spare = null;
    new Uint8Array(m.buffer, 0, bytes).fill(0);
    return m;
  }
  return alsMemory(bytes);
}

/** Keeps a finished fit's arena for the next one (the larger of two, up to SPARE_ARENA_MAX); no thread may still use it. */
export function giveBackAlsMemory(m: WebAssembly.Memory): void {
  const size = m.buffer.byteLength;
  if (size <= SPARE_ARENA_MAX && (!spare || spare.buffer.byteLength < size)) spare = m;
}

/** Solves rows [lo, hi) of one side (users: X from Y; items: Y from X) in scratch slot `slot`. */
export function solveWasm(fns: AlsWasmFns, L: AlsLayout, side: 'user' | 'item', lo: number, hi: number, slot: number, cgSteps: number): void {
  const s = side === 'user' ? L.users : L.items;
  const [X, Y] = side === 'user' ? [L.X, L.Y] : [L.Y, L.X];
  // In batches: V8 runs a new wasm function in its baseline tier (Liftoff) until the optimised
  // code is ready, and switches only on the next call, so one call over a whole range would run
  // a fit's first range entirely in the baseline tier.
  for (let b = lo; b < hi; b += SOLVE_BATCH) {
    fns.solve(b, Math.min(hi, b + SOLVE_BATCH), s.indptr, s.indices, s.cm1, X, Y, L.A, L.scratch + slot * L.slotBytes, cgSteps);
  }
}

const SOLVE_BATCH = 64;
const GRAM_BLOCK = 256;

/** The Gram partial sum_{r in [lo, hi)} y_r y_r^T of the users' (X) or items' (Y) factors, as a new f x f array. */
export function gramWasm(fns: AlsWasmFns, L: AlsLayout, memory: WebAssembly.Memory, side: 'user' | 'item', lo: number, hi: number, slot: number): Float64Array {
  const at = L.scratch + slot * L.slotBytes + align16(3 * L.f * (L.dtype === 'float32' ? 4 : 8));
  const out = new Float64Array(memory.buffer, at, L.f * L.f);
  out.fill(0);
  // the kernel sums a block in the factors' type, then adds it to out in float64: short blocks
  // keep float32 sums accurate
  for (let b = lo; b < hi; b += GRAM_BLOCK) fns.gram(side === 'user' ? L.X : L.Y, b, Math.min(hi, b + GRAM_BLOCK), at);
  const copy = new Float64Array(L.f * L.f); // not shared: it is transferred to the main thread
  copy.set(out);
  return copy;
}

/**
 * Compiles the kernel for (f, dtype) and runs it a few times on a tiny problem, so that V8's
 * optimising tier has compiled it (in the background) before the first real fit: a new wasm
 * function starts in the baseline tier, several times slower. A one-off cost per process, like
 * starting the worker threads; returns its wall time in ms.
 */
export function warmAls(f: number, dtype: 'float32' | 'float64'): number {
  const t0 = performance.now();
  if (!alsModule(f, dtype)) return 0;
  const nU = 64, nI = 16, per = 8;
  const { layout: L, bytes } = alsLayout(f, dtype, nU, nI, nU * per, 1);
  const memory = alsMemory(bytes);
  if (!memory) return 0;
  const b = memory.buffer;
  const indptr = new Int32Array(b, L.users.indptr, nU + 1), indices = new Int32Array(b, L.users.indices, nU * per);
  for (let u = 0; u <= nU; u++) indptr[u] = u * per;
  for (let k = 0; k < indices.length; k++) indices[k] = (k * 7) % nI;
  new Float32Array(b, L.users.cm1, nU * per).fill(1);
  const view = (at: number, n: number) => (dtype === 'float32' ? new Float32Array(b, at, n) : new Float64Array(b, at, n));
  const X = view(L.X, nU * f), Y = view(L.Y, nI * f), A = view(L.A, f * f);
  for (let k = 0; k < X.length; k++) X[k] = 0.01 * ((k % 13) - 6);
  for (let k = 0; k < Y.length; k++) Y[k] = 0.01 * ((k % 11) - 5);
  for (let a = 0; a < f; a++) A[a * f + a] = 1;
  const fns = instantiateAls(f, dtype, memory);
  for (let i = 0; i < 30; i++) {
    solveWasm(fns, L, 'user', 0, nU, 0, 3);
    gramWasm(fns, L, memory, 'item', 0, nI, 0);
  }
  return performance.now() - t0;
}

// ---- plain TypeScript twins -----------------------------------------------------------------
// The kernels' arithmetic on the same memory, lane by lane and in the same order (float32
// factors: every operation rounded to float32 with Math.fround, as f32x4 does; float64: plain
// numbers), so the differential test can ask for the same bytes. They are references for
// reading and testing, not a fallback: without SIMD, als.ts runs als-kernel.ts.

/** The element-wise arithmetic of one element type: round is Math.fround for float32. */
function arith(dtype: 'float32' | 'float64') {
  const round = dtype === 'float32' ? Math.fround : (v: number) => v;
  return {
    round,
    /** acc + a * b, the kernels' mul then add (two roundings, no fused multiply-add) */
    madd: (acc: number, a: number, b: number) => round(acc + round(a * b)),
  };
}

/**
 * solve(lo, hi, indptr, indices, cm1, X, Y, A, scratch, cgSteps) on `buffer` (byte addresses as
 * the kernel takes them): CG on each row's normal equations, r, p and ap kept in scratch.
 */
export function solveTwin(buffer: ArrayBufferLike, f: number, dtype: 'float32' | 'float64', lo: number, hi: number, indptr: number, indices: number,
  cm1: number, X: number, Y: number, A: number, scr: number, cgSteps: number): void {
  const t = dtype === 'float32' ? TF32 : TF64, { round, madd } = arith(dtype);
  const v = dtype === 'float32' ? new Float32Array(buffer) : new Float64Array(buffer);
  const i32 = new Int32Array(buffer), f32 = new Float32Array(buffer);
  const es = t.es, lanes = t.lanes, C = f / lanes, rowBytes = f * es, H = 4;
  const at = (byte: number) => byte / es; // element index of a byte address
  const r = at(scr), p = at(scr + rowBytes), ap = at(scr + 2 * rowBytes), a0 = at(A);
  /** out = A vec, four chunks of the output at a time, over A's rows in order (matvec) */
  const matvec = (vec: number, out: number) => {
    for (let h0 = 0; h0 < C; h0 += H) {
      const e0 = h0 * lanes, e1 = Math.min(C, h0 + H) * lanes;
      for (let e = e0; e < e1; e++) {
        let acc = 0;
        for (let b = 0; b < f; b++) acc = madd(acc, v[a0 + b * f + e]!, v[vec + b]!);
        v[out + e] = acc;
      }
    }
  };
  /** the chunk accumulators' horizontal sum: acc0 + acc1 + acc2 + acc3 per lane, then the lanes in order */
  const reduce = (acc: Float64Array) => {
    const used = Math.min(4, C);
    for (let q = 1; q < used; q++) for (let l = 0; l < lanes; l++) acc[l] = round(acc[l]! + acc[q * lanes + l]!);
    let s = acc[0]!;
    for (let l = 1; l < lanes; l++) s = round(s + acc[l]!);
    return s;
  };
  const acc = new Float64Array(4 * lanes);
  /** the accumulator a chunk's products go to: blocks of four chunks by position, then the rest from 0 */
  const blocks = Math.floor(C / 4), rest = blocks * 4;
  const slot = (c: number) => (c < rest ? c & 3 : c - rest);
  /** out += coef_k y_k over the row's items, with d_k = y_k . vec (nnzLoop) */
  const nnz = (u: number, residual: boolean, vec: number, out: number) => {
    for (let k = i32[(indptr >> 2) + u]!, kEnd = i32[(indptr >> 2) + u + 1]!; k < kEnd; k++) {
      const y = at(Y) + i32[(indices >> 2) + k]! * f;
      acc.fill(0);
      for (let c = 0; c < C; c++) {
        const q = slot(c);
        for (let l = 0; l < lanes; l++) acc[q * lanes + l] = madd(acc[q * lanes + l]!, v[y + c * lanes + l]!, v[vec + c * lanes + l]!);
      }
      const d = reduce(acc);
      const cm = f32[(cm1 >> 2) + k]!;
      const S = residual ? round(round(1 + cm) - round(cm * d)) : round(cm * d);
      for (let e = 0; e < f; e++) v[out + e] = madd(v[out + e]!, v[y + e]!, S);
    }
  };
  /** a . b: chunk c's products into accumulator c & 3 (the first four set, the rest added) */
  const dot = (a: number, b: number) => {
    for (let c = 0; c < C; c++) {
      for (let l = 0; l < lanes; l++) {
        const e = c * lanes + l, prod = round(v[a + e]! * v[b + e]!);
        acc[(c & 3) * lanes + l] = c >= 4 ? round(prod + acc[(c & 3) * lanes + l]!) : prod;
      }
    }
    return reduce(acc);
  };
  const tiny = round(1e-20);
  for (let u = lo; u < hi; u++) {
    const x = at(X) + u * f;
    matvec(x, r);
    for (let e = 0; e < f; e++) v[r + e] = -v[r + e]!;
    nnz(u, true, x, r);
    for (let e = 0; e < f; e++) v[p + e] = v[r + e]!;
    let rs = dot(r, r);
    for (let step = 0; step < cgSteps; step++) {
      if (rs < tiny) break;
      matvec(p, ap);
      nnz(u, false, p, ap);
      const alpha = round(rs / dot(p, ap));
      for (let e = 0; e < f; e++) {
        v[x + e] = madd(v[x + e]!, v[p + e]!, alpha);
        v[r + e] = round(v[r + e]! - round(v[ap + e]! * alpha));
      }
      const rn = dot(r, r), beta = round(rn / rs);
      for (let e = 0; e < f; e++) v[p + e] = madd(v[r + e]!, v[p + e]!, beta);
      rs = rn;
    }
  }
}

/** gram(Y, lo, hi, out) on `buffer`: per output row a, sum_r y_r[a] y_r in the element type, added to out in float64. */
export function gramTwin(buffer: ArrayBufferLike, f: number, dtype: 'float32' | 'float64', Y: number, lo: number, hi: number, out: number): void {
  const { madd } = arith(dtype);
  const v = dtype === 'float32' ? new Float32Array(buffer) : new Float64Array(buffer), f64 = new Float64Array(buffer);
  const y0 = Y / (dtype === 'float32' ? 4 : 8), o = out / 8;
  const acc = new Float64Array(f);
  for (let a = 0; a < f; a++) {
    acc.fill(0);
    for (let row = lo; row < hi; row++) {
      const s = v[y0 + row * f + a]!;
      for (let j = 0; j < f; j++) acc[j] = madd(acc[j]!, v[y0 + row * f + j]!, s);
    }
    for (let j = 0; j < f; j++) f64[o + a * f + j] = f64[o + a * f + j]! + acc[j]!;
  }
}
