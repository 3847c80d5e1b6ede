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
import { uleb, sleb, vec, section, name } from '../../util/wasm.ts';


const I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, CALL = 0x10, VOID = 0x40;
const LGET = 0x20, LSET = 0x21, LTEE = 0x22;
const I32C = 0x41, I32LOAD = 0x28, I32ADD = 0x6a, I32MUL = 0x6c, I32GEU = 0x4f, I32GES = 0x4e, I32LTU = 0x49;
const SIMD = 0xfd;

/** Element-type specific opcodes. */
interface Ty {
  es: number; lanes: number; align: number; valType: number;
  load: number; store: number; cnst: (v: number) => number[];
  add: number; sub: number; mul: number; div: number; lt: number;
  // SIMD
  splatLoad: number; splat: number; extract: number; vadd: number; vsub: number; vmul: number; vneg: number;
}
const TF32: Ty = {
  es: 4, lanes: 4, align: 2, valType: F32, load: 0x2a, store: 0x38,
  cnst: (v) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)],
  add: 0x92, sub: 0x93, mul: 0x94, div: 0x95, lt: 0x5d,
  splatLoad: 9, splat: 0x13, extract: 0x1f, vadd: 0xe4, vsub: 0xe5, vmul: 0xe6, vneg: 0xe1,
};
const TF64: Ty = {
  es: 8, lanes: 2, align: 3, valType: F64, load: 0x2b, store: 0x39,
  cnst: (v) => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)],
  add: 0xa0, sub: 0xa1, mul: 0xa2, div: 0xa3, lt: 0x63,
  splatLoad: 10, splat: 0x14, extract: 0x21, vadd: 0xf0, vsub: 0xf1, vmul: 0xf2, vneg: 0xed,
};

/** A function body under construction: numbered locals and an opcode stream. */
class Fn {
  c: number[] = [];
  private decl: Array<[number, number]> = [];
  private next: number;
  constructor(nParams: number) { this.next = nParams; }
  local(type: number, n = 1): number {
    const first = this.next;
    this.next += n;
    this.decl.push([n, type]);
    return first;
  }
  op(...b: number[]): this { this.c.push(...b); return this; }
  get(l: number): this { return this.op(LGET, ...uleb(l)); }
  set(l: number): this { return this.op(LSET, ...uleb(l)); }
  tee(l: number): this { return this.op(LTEE, ...uleb(l)); }
  i32(v: number): this { return this.op(I32C, ...sleb(v)); }
  simd(op: number, ...imm: number[]): this { return this.op(SIMD, ...uleb(op), ...imm); }
  /** v128.load / store at the address on the stack plus a constant offset */
  vload(offset: number): this { return this.simd(0, ...uleb(4), ...uleb(offset)); }
  vstore(offset: number): this { return this.simd(11, ...uleb(4), ...uleb(offset)); }
  body(): number[] {
    const b = [...vec(this.decl.map(([n, t]) => [...uleb(n), t])), ...this.c, END];
    return [...uleb(b.length), ...b];
  }
}

/** Pushes the horizontal sum of v128 local `v` (lanes added in order 0, 1, ...). */
function hsum(fn: Fn, t: Ty, v: number): void {
  fn.get(v).simd(t.extract, 0);
  for (let l = 1; l < t.lanes; l++) fn.get(v).simd(t.extract, l).op(t.add);
}

/**
 * out = A v: A (f x f, symmetric, row-major), v and out f-vectors; params (A, v, out).
 * A runtime loop over v's entries, not straight-line code: unrolled, V8's TurboFan hoists all
 * the loads to the top and spills them to the stack, which ran at half the speed.
 */
function buildMatvec(f: number, t: Ty): number[] {
  const fn = new Fn(3);
  const A = 0, V = 1, OUT = 2;
  // four output chunks at a time (column b of A is row b by symmetry: contiguous loads)
  const C = f / t.lanes, H = 4; // measured: 8 or 16 accumulators run at half the speed
  const acc = fn.local(V128, Math.min(H, C)), s = fn.local(V128), pa = fn.local(I32), pv = fn.local(I32), end = fn.local(I32);
  fn.get(V).i32(f * t.es).op(I32ADD).set(end);
  for (let h0 = 0; h0 < C; h0 += H) {
    const h1 = Math.min(C, h0 + H);
    for (let c = h0; c < h1; c++) fn.simd(12, ...new Array(16).fill(0)).set(acc + c - h0);
    fn.get(A).i32(h0 * 16).op(I32ADD).set(pa);
    fn.get(V).set(pv);
    fn.op(LOOP, VOID);
    fn.get(pv).simd(t.splatLoad, ...uleb(t.align), ...uleb(0)).set(s);
    for (let c = h0; c < h1; c++) fn.get(acc + c - h0).get(pa).vload((c - h0) * 16).get(s).simd(t.vmul).simd(t.vadd).set(acc + c - h0);
    fn.get(pa).i32(f * t.es).op(I32ADD).set(pa);
    fn.get(pv).i32(t.es).op(I32ADD).tee(pv).get(end).op(I32LTU, BR_IF, 0);
    fn.op(END);
    for (let c = h0; c < h1; c++) fn.get(OUT).get(acc + c - h0).vstore(c * 16);
  }
  return fn.body();
}

/**
 * solve(lo, hi, indptr, indices, cm1, X, Y, A, scratch, cgSteps). Scratch holds r, p, ap
 * (f elements each). Same algorithm, step for step, as solveRows in als-kernel.ts (one row at a
 * time instead of four in lock-step; each row's arithmetic is independent of the others).
 */
function buildSolve(f: number, t: Ty): number[] {
  const P = { lo: 0, hi: 1, indptr: 2, indices: 3, cm1: 4, X: 5, Y: 6, A: 7, scr: 8, steps: 9 };
  const fn = new Fn(10);
  const C = f / t.lanes, rowBytes = f * t.es;
  const u = fn.local(I32), k = fn.local(I32), kEnd = fn.local(I32), x = fn.local(I32), yo = fn.local(I32), step = fn.local(I32), j = fn.local(I32), oj = fn.local(I32), yj = fn.local(I32);
  const r = fn.local(I32), p = fn.local(I32), ap = fn.local(I32);
  const d = fn.local(t.valType), cm = fn.local(t.valType), rs = fn.local(t.valType), rn = fn.local(t.valType), a = fn.local(t.valType);
  const acc = fn.local(V128, 4), S = fn.local(V128);
  const MATVEC = 0;

  /**
   * out += sum over the row's items of coef_k y_k, d_k = y_k . v, with v and out f-vectors in
   * memory (scratch, L1): held in v128 locals across the loop they were spilled anyway.
   */
  const nnzLoop = (residual: boolean, v: number, out: number) => {
    // one item per pass: measured, two or four (sharing the loads of v and out) were no faster
    fn.get(P.indptr).get(u).i32(4).op(I32MUL, I32ADD).op(I32LOAD, ...uleb(2), ...uleb(0)).set(k);
    fn.op(BLOCK, VOID, LOOP, VOID);
    fn.get(k).get(kEnd).op(I32GES, BR_IF, 1);
    // yo = Y + indices[k] * rowBytes
    fn.get(P.Y).get(P.indices).get(k).i32(4).op(I32MUL, I32ADD).op(I32LOAD, ...uleb(2), ...uleb(0)).i32(rowBytes).op(I32MUL, I32ADD).set(yo);
    // runtime loops over blocks of four chunks (see buildMatvec), then the C % 4 left unrolled
    const blocks = Math.floor(C / 4), rest = blocks * 4;
    for (let q = 0; q < Math.min(4, C); q++) fn.simd(12, ...new Array(16).fill(0)).set(acc + q);
    const blockLoop = (body: () => void) => {
      if (blocks === 0) return;
      fn.i32(0).set(j);
      fn.op(LOOP, VOID);
      body();
      fn.get(j).i32(64).op(I32ADD).tee(j).i32(blocks * 64).op(I32LTU, BR_IF, 0);
      fn.op(END);
    };
    blockLoop(() => {
      for (let q = 0; q < 4; q++) fn.get(acc + q).get(yo).get(j).op(I32ADD).vload(q * 16).get(v).get(j).op(I32ADD).vload(q * 16).simd(t.vmul).simd(t.vadd).set(acc + q);
    });
    for (let c = rest; c < C; c++) fn.get(acc + c - rest).get(yo).vload(c * 16).get(v).vload(c * 16).simd(t.vmul).simd(t.vadd).set(acc + c - rest);
    for (let q = 1; q < Math.min(4, C); q++) fn.get(acc).get(acc + q).simd(t.vadd).set(acc);
    hsum(fn, t, acc); fn.set(d);
    // cm = alpha * f(w) (stored float32)
    fn.get(P.cm1).get(k).i32(4).op(I32MUL, I32ADD).op(0x2a, ...uleb(2), ...uleb(0));
    if (t.valType === F64) fn.op(0xbb); // f64.promote_f32
    fn.set(cm);
    if (residual) fn.op(...t.cnst(1)).get(cm).op(t.add).get(cm).get(d).op(t.mul).op(t.sub);
    else fn.get(cm).get(d).op(t.mul);
    fn.simd(t.splat).set(S);
    blockLoop(() => {
      fn.get(out).get(j).op(I32ADD).set(oj);
      fn.get(yo).get(j).op(I32ADD).set(yj);
      for (let q = 0; q < 4; q++) fn.get(oj).get(oj).vload(q * 16).get(yj).vload(q * 16).get(S).simd(t.vmul).simd(t.vadd).vstore(q * 16);
    });
    for (let c = rest; c < C; c++) fn.get(out).get(out).vload(c * 16).get(yo).vload(c * 16).get(S).simd(t.vmul).simd(t.vadd).vstore(c * 16);
    fn.get(k).i32(1).op(I32ADD).set(k);
    fn.op(BR, 0, END, END);
  };
  /** pushes dot(a, b) of two f-vectors in memory */
  const dot = (pa: number, pb: number) => {
    for (let c = 0; c < C; c++) {
      fn.get(pa).vload(c * 16).get(pb).vload(c * 16).simd(t.vmul);
      if (c >= 4) fn.get(acc + (c & 3)).simd(t.vadd);
      fn.set(acc + (c & 3));
    }
    for (let q = 1; q < Math.min(4, C); q++) fn.get(acc).get(acc + q).simd(t.vadd).set(acc);
    hsum(fn, t, acc);
  };

  fn.get(P.scr).set(r);
  fn.get(P.scr).i32(rowBytes).op(I32ADD).set(p);
  fn.get(P.scr).i32(2 * rowBytes).op(I32ADD).set(ap);
  fn.get(P.lo).set(u);
  fn.op(BLOCK, VOID, LOOP, VOID);
  fn.get(u).get(P.hi).op(I32GEU, BR_IF, 1);
  fn.get(P.X).get(u).i32(rowBytes).op(I32MUL, I32ADD).set(x);
  fn.get(P.indptr).get(u).i32(4).op(I32MUL, I32ADD).op(I32LOAD, ...uleb(2), ...uleb(4)).set(kEnd);
  // r = b - A_u x = sum_k (1 + cm - cm y.x) y - (YtY + reg) x
  fn.get(P.A).get(x).get(r).op(CALL, MATVEC);
  for (let c = 0; c < C; c++) fn.get(r).get(r).vload(c * 16).simd(t.vneg).vstore(c * 16);
  nnzLoop(true, x, r);
  // p = r; rs = r.r
  for (let c = 0; c < C; c++) fn.get(p).get(r).vload(c * 16).vstore(c * 16);
  dot(r, r); fn.set(rs);
  fn.i32(0).set(step);
  fn.op(BLOCK, VOID, LOOP, VOID);
  fn.get(step).get(P.steps).op(I32GES, BR_IF, 1);
  fn.get(rs).op(...t.cnst(1e-20)).op(t.lt, BR_IF, 1); // converged: leave the row as it is
  // ap = A p + sum_k cm (y.p) y
  fn.get(P.A).get(p).get(ap).op(CALL, MATVEC);
  nnzLoop(false, p, ap);
  // a = rs / p.ap; x += a p; r -= a ap
  fn.get(rs); dot(p, ap); fn.op(t.div).simd(t.splat).set(S);
  for (let c = 0; c < C; c++) {
    fn.get(x).get(x).vload(c * 16).get(p).vload(c * 16).get(S).simd(t.vmul).simd(t.vadd).vstore(c * 16);
    fn.get(r).get(r).vload(c * 16).get(ap).vload(c * 16).get(S).simd(t.vmul).simd(t.vsub).vstore(c * 16);
  }
  // p = r + (rn / rs) p
  dot(r, r); fn.tee(rn).get(rs).op(t.div).simd(t.splat).set(S);
  for (let c = 0; c < C; c++) fn.get(p).get(r).vload(c * 16).get(p).vload(c * 16).get(S).simd(t.vmul).simd(t.vadd).vstore(c * 16);
  fn.get(rn).set(rs);
  fn.get(step).i32(1).op(I32ADD).set(step);
  fn.op(BR, 0, END, END);
  fn.get(u).i32(1).op(I32ADD).set(u);
  fn.op(BR, 0, END, END);
  return fn.body();
}

/**
 * gram(Y, lo, hi, out): out (f x f float64, full square) = sum_{r in [lo, hi)} y_r y_r^T,
 * accumulated in the factors' element type per row block and added to out in float64.
 * Columns go in v128 chunks; each row's f x f outer product is added to a block of
 * accumulators held for 8 chunks of one output row a at a time.
 */
function buildGram(f: number, t: Ty): number[] {
  const P = { Y: 0, lo: 1, hi: 2, out: 3 };
  const fn = new Fn(4);
  const C = f / t.lanes, rowBytes = f * t.es;
  const row = fn.local(I32), end = fn.local(I32), a = fn.local(I32), oa = fn.local(I32);
  const acc = fn.local(V128, C), s = fn.local(V128);
  // for each output row a: acc[chunk] = sum_r y_r[a] * y_r[chunk]; then out[a][.] += acc
  fn.i32(0).set(a);
  fn.op(BLOCK, VOID, LOOP, VOID);
  fn.get(a).i32(f).op(I32GEU, BR_IF, 1);
  for (let c = 0; c < C; c++) fn.simd(12, ...new Array(16).fill(0)).set(acc + c);
  fn.get(P.Y).get(P.lo).i32(rowBytes).op(I32MUL, I32ADD).set(row);
  fn.get(P.Y).get(P.hi).i32(rowBytes).op(I32MUL, I32ADD).set(end);
  fn.op(BLOCK, VOID, LOOP, VOID);
  fn.get(row).get(end).op(I32GEU, BR_IF, 1);
  fn.get(row).get(a).i32(t.es).op(I32MUL, I32ADD).simd(t.splatLoad, ...uleb(t.align), ...uleb(0)).set(s);
  for (let c = 0; c < C; c++) fn.get(acc + c).get(row).vload(c * 16).get(s).simd(t.vmul).simd(t.vadd).set(acc + c);
  fn.get(row).i32(rowBytes).op(I32ADD).set(row);
  fn.op(BR, 0, END, END);
  // out[a][j] += acc lanes (float64)
  fn.get(P.out).get(a).i32(f * 8).op(I32MUL, I32ADD).set(oa);
  for (let c = 0; c < C; c++) {
    for (let l = 0; l < t.lanes; l++) {
      const j = c * t.lanes + l;
      fn.get(oa).get(oa).op(0x2b, 3, ...uleb(j * 8));
      fn.get(acc + c).simd(t.extract, l);
      if (t.valType === F32) fn.op(0xbb);
      fn.op(0xa0, 0x39, 3, ...uleb(j * 8));
    }
  }
  fn.get(a).i32(1).op(I32ADD).set(a);
  fn.op(BR, 0, END, END);
  return fn.body();
}

export function buildAlsModule(f: number, dtype: 'float32' | 'float64'): Uint8Array {
  const t = dtype === 'float32' ? TF32 : TF64;
  if (f % t.lanes !== 0) throw new Error(`als-wasm: f=${f} is not a multiple of ${t.lanes}`);
  const types = section(1, vec([
    [0x60, ...vec([[I32], [I32], [I32]]), ...uleb(0)],
    [0x60, ...vec(Array.from({ length: 10 }, () => [I32])), ...uleb(0)],
    [0x60, ...vec(Array.from({ length: 4 }, () => [I32])), ...uleb(0)],
  ]));
  const imp = section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]]));
  const funcs = section(3, vec([uleb(0), uleb(1), uleb(2)]));
  const exps = section(7, vec([[...name('solve'), 0x00, ...uleb(1)], [...name('gram'), 0x00, ...uleb(2)], [...name('matvec'), 0x00, ...uleb(0)]]));
  const code = section(10, vec([buildMatvec(f, t), buildSolve(f, t), buildGram(f, t)]));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imp, ...funcs, ...exps, ...code]);
}

const modules = new Map<string, WebAssembly.Module | null>();

/** The compiled module for (f, dtype), or null when f does not fit the SIMD lanes or WebAssembly SIMD is unavailable. */
export function alsModule(f: number, dtype: 'float32' | 'float64'): WebAssembly.Module | null {
  const key = `${f}:${dtype}`;
  if (modules.has(key)) return modules.get(key)!;
  let m: WebAssembly.Module | null = null;
  if (f % (dtype === 'float32' ? 4 : 2) === 0 && f <= 1024) {
    try { m = new WebAssembly.Module(buildAlsModule(f, dtype)); } catch { m = null; }
  }
  modules.set(key, m);
  return m;
}

export interface AlsWasmFns {
  solve(lo: number, hi: number, indptr: number, indices: number, cm1: number, X: number, Y: number, A: number, scratch: number, cgSteps: number): void;
  gram(Y: number, lo: number, hi: number, out: number): void;
}

/** An instance over `memory`; pass the main thread's compiled module to a worker so its optimised code is shared. */
export function instantiateAls(f: number, dtype: 'float32' | 'float64', memory: WebAssembly.Memory, module = alsModule(f, dtype)!): AlsWasmFns {
  const inst = new WebAssembly.Instance(module, { env: { mem: memory } });
  return inst.exports as unknown as AlsWasmFns;
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

export function alsLayout(f: number, dtype: 'float32' | 'float64', nUsers: number, nItems: number, nnz: number, slots: number): { layout: AlsLayout; bytes: number } {
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
