// The two loops of a 2-D t-SNE gradient (tsne.ts), as WebAssembly SIMD with a JavaScript twin
// that performs the same floating-point operations in the same order (the same bits; the
// JavaScript one runs where WebAssembly SIMD is unavailable, and is what the tests check the
// kernel against).
//  - repulsion: all pairs i < j in single precision, four j at a time (coordinates stored as
//    separate x and y arrays, so one f32x4 holds four points' x): one f32x4 division serves four
//    pairs, and the division is what bounds the loop (twice the pairs per cycle of f64x2). Lane l
//    sums the pairs at offsets = l mod 4 from i + 1, the last (n - i - 1) mod 4 pairs go through
//    a scalar tail; row i's force is ((lane 0 + lane 1) + (lane 2 + lane 3)) + tail, and its share
//    of Z is added to a double-precision total. Single precision is ample here: the forces only
//    steer a gradient descent (Barnes-Hut t-SNE approximates them to about 1e-2; float rounding
//    is 6e-8), while the layout itself and the attraction stay in double precision.
//  - attraction: the upper triangle (j > i) of the symmetric sparse P, each edge applied to both
//    of its points: half the edges of the full matrix.
// Layout in the module's own memory (bytes; n points): float32 x at 0, y at 4n, repulsion sums
// rx at 8n, ry at 12n; float64 x at 16n, y at 24n, attraction sums gx at 32n, gy at 40n, Z at
// 48n; then P's row pointers (i32, n + 1), column indices (i32) and values (f64).
import { F32, F64, I32, V128, i32Const, localGet as get, localSet as set, localTee as tee, memoryModule, simdOp, uleb } from '../../util/wasm.ts';

/** P's strict upper triangle in CSR form: row i's entries rowPtr[i]..rowPtr[i+1], columns > i. */
export interface UpperP { rowPtr: Int32Array; cols: Int32Array; vals: Float64Array }

/** The gradient of the 2-D t-SNE objective; one per layout size and P. */
export interface TsneGradient2d {
  /**
   * grad = 4 (ex sum_j p_ij w_ij (y_i - y_j) - sum_j w_ij^2 (y_i - y_j) / Z) for the layout Y
   * (n x 2, row-major); returns Z = sum_{i != j} w_ij.
   */
  gradient(Y: Float64Array, exaggeration: number, grad: Float64Array): number;
  /** Z alone (for the KL divergence) */
  normaliser(Y: Float64Array): number;
}

const f64c = (v: number): number[] => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
const memarg = (align: number) => [...uleb(align), 0];
const F64_LOAD = (): number[] => [0x2b, ...memarg(3)];
const F64_STORE = (): number[] => [0x39, ...memarg(3)];
const I32_LOAD = (): number[] => [0x28, ...memarg(2)];
const V_LOAD = (): number[] => simdOp(0x00, ...memarg(3));
const V_STORE = (): number[] => simdOp(0x0b, ...memarg(3));
const V_ZERO = (): number[] => simdOp(0x0c, ...new Array(16).fill(0));
const SPLAT = 0x14, EXTRACT = 0x21, VADD = 0xf0, VSUB = 0xf1, VMUL = 0xf2, VDIV = 0xf3;
const I32_ADD = 0x6a, I32_SHL = 0x74, I32_LT_U = 0x49, I32_GT_U = 0x4b, I32_GE_U = 0x4f;
const F64_ADD = 0xa0, F64_SUB = 0xa1, F64_MUL = 0xa2, F64_DIV = 0xa3;
const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], IF = [0x04, 0x40], END = 0x0b, BR = 0x0c, BR_IF = 0x0d;
const vop = (op: number, ...imm: number[]) => simdOp(op, ...imm);

const f32c = (v: number): number[] => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)];
const F32_LOAD = (): number[] => [0x2a, ...memarg(2)];
const F32_STORE = (): number[] => [0x38, ...memarg(2)];
const SPLAT4 = 0x13, EXTRACT4 = 0x1f, VADD4 = 0xe4, VSUB4 = 0xe5, VMUL4 = 0xe6, VDIV4 = 0xe7;
const F32_ADD = 0x92, F32_SUB = 0x93, F32_MUL = 0x94, F32_DIV = 0x95, F64_PROMOTE = 0xbb;

function repulsionFn() {
  // params: n, x, y, rx, ry (float32 arrays), out (the float64 Z)
  const N = 0, XA = 1, YA = 2, RXA = 3, RYA = 4, OUT = 5;
  // i32: i, j, px, py, prx, pry; f32: xi, yi, ex, ey, w, tx, ty, zt; f64: z; v128: xiv, yiv, ax, ay, zv, exv, eyv, wv, fx, fy, one
  const I = 6, J = 7, PX = 8, PY = 9, PRX = 10, PRY = 11;
  const XI = 12, YI = 13, EX = 14, EY = 15, W = 16, TX = 17, TY = 18, ZT = 19, Z = 20;
  const XIV = 21, YIV = 22, AX = 23, AY = 24, ZV = 25, EXV = 26, EYV = 27, WV = 28, FX = 29, FY = 30, ONE = 31;
  const at = (base: number, idx: number) => [...get(base), ...get(idx), ...i32Const(2), I32_SHL, I32_ADD];
  const step = (by: number, ...ptrs: number[]) => ptrs.flatMap((p) => [...get(p), ...i32Const(by), I32_ADD, ...set(p)]);
  const lanes = (v: number) => [...get(v), ...vop(EXTRACT4, 0), ...get(v), ...vop(EXTRACT4, 1), F32_ADD, ...get(v), ...vop(EXTRACT4, 2), ...get(v), ...vop(EXTRACT4, 3), F32_ADD, F32_ADD];
  const code = [
    ...f32c(1), ...vop(SPLAT4), ...set(ONE),
    ...BLOCK, ...LOOP, // rows i
    ...get(I), ...get(N), I32_GE_U, BR_IF, 1,
    ...at(XA, I), ...F32_LOAD(), ...tee(XI), ...vop(SPLAT4), ...set(XIV),
    ...at(YA, I), ...F32_LOAD(), ...tee(YI), ...vop(SPLAT4), ...set(YIV),
    ...V_ZERO(), ...set(AX), ...V_ZERO(), ...set(AY), ...V_ZERO(), ...set(ZV),
    ...f32c(0), ...set(TX), ...f32c(0), ...set(TY), ...f32c(0), ...set(ZT),
    ...get(I), ...i32Const(1), I32_ADD, ...set(J),
    ...at(XA, J), ...set(PX), ...at(YA, J), ...set(PY), ...at(RXA, J), ...set(PRX), ...at(RYA, J), ...set(PRY),
    ...BLOCK, ...LOOP, // four j at a time
    ...get(J), ...i32Const(4), I32_ADD, ...get(N), I32_GT_U, BR_IF, 1,
    ...get(XIV), ...get(PX), ...V_LOAD(), ...vop(VSUB4), ...set(EXV),
    ...get(YIV), ...get(PY), ...V_LOAD(), ...vop(VSUB4), ...set(EYV),
    // w = 1 / (1 + (ex*ex + ey*ey))
    ...get(ONE), ...get(ONE), ...get(EXV), ...get(EXV), ...vop(VMUL4), ...get(EYV), ...get(EYV), ...vop(VMUL4), ...vop(VADD4), ...vop(VADD4), ...vop(VDIV4), ...tee(WV),
    ...get(ZV), ...vop(VADD4), ...set(ZV),
    ...get(WV), ...get(WV), ...vop(VMUL4), ...set(WV),
    ...get(WV), ...get(EXV), ...vop(VMUL4), ...set(FX),
    ...get(WV), ...get(EYV), ...vop(VMUL4), ...set(FY),
    ...get(AX), ...get(FX), ...vop(VADD4), ...set(AX),
    ...get(AY), ...get(FY), ...vop(VADD4), ...set(AY),
    ...get(PRX), ...get(PRX), ...V_LOAD(), ...get(FX), ...vop(VSUB4), ...V_STORE(),
    ...get(PRY), ...get(PRY), ...V_LOAD(), ...get(FY), ...vop(VSUB4), ...V_STORE(),
    ...get(J), ...i32Const(4), I32_ADD, ...set(J),
    ...step(16, PX, PY, PRX, PRY),
    BR, 0, END, END,
    // the last pairs one at a time
    ...BLOCK, ...LOOP,
    ...get(J), ...get(N), I32_GE_U, BR_IF, 1,
    ...get(XI), ...get(PX), ...F32_LOAD(), F32_SUB, ...set(EX),
    ...get(YI), ...get(PY), ...F32_LOAD(), F32_SUB, ...set(EY),
    ...f32c(1), ...f32c(1), ...get(EX), ...get(EX), F32_MUL, ...get(EY), ...get(EY), F32_MUL, F32_ADD, F32_ADD, F32_DIV, ...tee(W),
    ...get(ZT), F32_ADD, ...set(ZT),
    ...get(W), ...get(W), F32_MUL, ...set(W),
    ...get(W), ...get(EX), F32_MUL, ...set(EX),
    ...get(W), ...get(EY), F32_MUL, ...set(EY),
    ...get(TX), ...get(EX), F32_ADD, ...set(TX),
    ...get(TY), ...get(EY), F32_ADD, ...set(TY),
    ...get(PRX), ...get(PRX), ...F32_LOAD(), ...get(EX), F32_SUB, ...F32_STORE(),
    ...get(PRY), ...get(PRY), ...F32_LOAD(), ...get(EY), F32_SUB, ...F32_STORE(),
    ...get(J), ...i32Const(1), I32_ADD, ...set(J),
    ...step(4, PX, PY, PRX, PRY),
    BR, 0, END, END,
    // r_i += ((lane 0 + lane 1) + (lane 2 + lane 3)) + tail; Z += the same sum of w, in double
    ...at(RXA, I), ...at(RXA, I), ...F32_LOAD(), ...lanes(AX), ...get(TX), F32_ADD, F32_ADD, ...F32_STORE(),
    ...at(RYA, I), ...at(RYA, I), ...F32_LOAD(), ...lanes(AY), ...get(TY), F32_ADD, F32_ADD, ...F32_STORE(),
    ...get(Z), ...lanes(ZV), ...get(ZT), F32_ADD, F64_PROMOTE, F64_ADD, ...set(Z),
    ...get(I), ...i32Const(1), I32_ADD, ...set(I),
    BR, 0, END, END,
    // Z over ordered pairs: twice the sum over i < j
    ...get(OUT), ...f64c(2), ...get(Z), F64_MUL, ...F64_STORE(),
  ];
  return { name: 'repulsion', params: 6, locals: [[6, I32], [8, F32], [1, F64], [11, V128]] as [number, number][], code };
}

function attractionFn() {
  // params: n, x, y, gx, gy, rowPtr, cols, vals
  const N = 0, XA = 1, YA = 2, GXA = 3, GYA = 4, RP = 5, COLS = 6, VALS = 7;
  // i32: i, t, te, j8; f64: xi, yi, ex, ey, q, fx, fy, gx, gy
  const I = 8, T = 9, TE = 10, J8 = 11, XI = 12, YI = 13, EX = 14, EY = 15, Q = 16, FX = 17, FY = 18, GX = 19, GY = 20;
  const at = (base: number, idx: number, shift: number) => [...get(base), ...get(idx), ...i32Const(shift), I32_SHL, I32_ADD];
  const code = [
    ...BLOCK, ...LOOP,
    ...get(I), ...get(N), I32_GE_U, BR_IF, 1,
    ...at(XA, I, 3), ...F64_LOAD(), ...set(XI),
    ...at(YA, I, 3), ...F64_LOAD(), ...set(YI),
    ...f64c(0), ...set(GX), ...f64c(0), ...set(GY),
    ...at(RP, I, 2), ...I32_LOAD(), ...set(T),
    ...at(RP, I, 2), 0x28, ...uleb(2), ...uleb(4), ...set(TE), // rowPtr[i + 1]
    ...BLOCK, ...LOOP,
    ...get(T), ...get(TE), I32_GE_U, BR_IF, 1,
    ...at(COLS, T, 2), ...I32_LOAD(), ...i32Const(3), I32_SHL, ...set(J8),
    ...get(XI), ...get(XA), ...get(J8), I32_ADD, ...F64_LOAD(), F64_SUB, ...set(EX),
    ...get(YI), ...get(YA), ...get(J8), I32_ADD, ...F64_LOAD(), F64_SUB, ...set(EY),
    // q = p / (1 + (ex*ex + ey*ey))
    ...at(VALS, T, 3), ...F64_LOAD(), ...f64c(1), ...get(EX), ...get(EX), F64_MUL, ...get(EY), ...get(EY), F64_MUL, F64_ADD, F64_ADD, F64_DIV, ...set(Q),
    ...get(Q), ...get(EX), F64_MUL, ...set(FX),
    ...get(Q), ...get(EY), F64_MUL, ...set(FY),
    ...get(GX), ...get(FX), F64_ADD, ...set(GX),
    ...get(GY), ...get(FY), F64_ADD, ...set(GY),
    ...get(GXA), ...get(J8), I32_ADD, ...get(GXA), ...get(J8), I32_ADD, ...F64_LOAD(), ...get(FX), F64_SUB, ...F64_STORE(),
    ...get(GYA), ...get(J8), I32_ADD, ...get(GYA), ...get(J8), I32_ADD, ...F64_LOAD(), ...get(FY), F64_SUB, ...F64_STORE(),
    ...get(T), ...i32Const(1), I32_ADD, ...set(T),
    BR, 0, END, END,
    ...at(GXA, I, 3), ...at(GXA, I, 3), ...F64_LOAD(), ...get(GX), F64_ADD, ...F64_STORE(),
    ...at(GYA, I, 3), ...at(GYA, I, 3), ...F64_LOAD(), ...get(GY), F64_ADD, ...F64_STORE(),
    ...get(I), ...i32Const(1), I32_ADD, ...set(I),
    BR, 0, END, END,
  ];
  return { name: 'attraction', params: 8, locals: [[4, I32], [9, F64]] as [number, number][], code };
}

function distancesFn() {
  // params: n2 (the column stride: n rounded up to even), d, x (column-major), i, out
  const N2 = 0, D = 1, XA = 2, I = 3, OUT = 4;
  // i32: t, col, p, q, end; v128: xi, e
  const T = 5, COL = 6, PQ = 7, PO = 8, LIM = 9, XIV = 10, E = 11;
  const code = [
    ...BLOCK, ...LOOP, // columns t
    ...get(T), ...get(D), I32_GE_U, BR_IF, 1,
    // col = x + 8 t n2; xi = col[i]
    ...get(XA), ...get(T), ...get(N2), 0x6c, ...i32Const(3), I32_SHL, I32_ADD, ...tee(COL),
    ...get(I), ...i32Const(3), I32_SHL, I32_ADD, ...F64_LOAD(), ...vop(SPLAT), ...set(XIV),
    ...get(COL), ...set(PQ), ...get(OUT), ...set(PO),
    ...get(OUT), ...get(N2), ...i32Const(3), I32_SHL, I32_ADD, ...set(LIM),
    ...BLOCK, ...LOOP, // rows j, two at a time
    ...get(PO), ...get(LIM), I32_GE_U, BR_IF, 1,
    ...get(XIV), ...get(PQ), ...V_LOAD(), ...vop(VSUB), ...tee(E), ...get(E), ...vop(VMUL), ...set(E),
    // the first column writes e*e (as 0 + e*e), the others add it
    ...get(PO),
    ...get(T), 0x45, ...IF.slice(0, 1), 0x7b, ...get(E), 0x05, ...get(PO), ...V_LOAD(), ...get(E), ...vop(VADD), END,
    ...V_STORE(),
    ...get(PQ), ...i32Const(16), I32_ADD, ...set(PQ),
    ...get(PO), ...i32Const(16), I32_ADD, ...set(PO),
    BR, 0, END, END,
    ...get(T), ...i32Const(1), I32_ADD, ...set(T),
    BR, 0, END, END,
  ];
  return { name: 'distances', params: 5, locals: [[5, I32], [2, V128]] as [number, number][], code };
}

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try { compiled = new WebAssembly.Module(memoryModule([repulsionFn(), attractionFn(), distancesFn()])); } catch (e) {
      // no SIMD here: the JavaScript twins; SIMD here but the module rejected: a bug to report
      if (simdSupported()) throw e;
      compiled = null;
    }
  }
  return compiled;
}

/** Whether this engine validates a module with one SIMD instruction (v128.const, drop). */
function simdSupported(): boolean {
  const body = [0x00, ...V_ZERO(), 0x1a, 0x0b];
  return WebAssembly.validate(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, body.length + 2, 1, body.length, ...body]));
}

/**
 * Squared Euclidean distances from row i to every row of X (out[j], j < n), summed over the
 * columns in order as a plain loop would: WebAssembly SIMD two rows at a time over a column-major
 * copy of X, or that plain loop where SIMD is unavailable (or `js` is asked for).
 */
export function rowDistances(X: { rows: number; cols: number; data: Float64Array }, opts: { js?: boolean } = {}): (i: number, out: Float64Array) => void {
  const n = X.rows, d = X.cols, data = X.data;
  const m = opts.js ? null : module();
  if (!m) {
    return (i, out) => {
      const oi = i * d;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0, oj = j * d; t < d; t++) { const e = data[oi + t]! - data[oj + t]!; s += e * e; }
        out[j] = s;
      }
    };
  }
  const n2 = n + (n & 1), outAt = 8 * n2 * d;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((outAt + 8 * n2) / 65536)) });
  const fn = (new WebAssembly.Instance(m, { env: { mem: memory } }).exports as { distances(n2: number, d: number, x: number, i: number, out: number): void }).distances;
  const f64 = new Float64Array(memory.buffer), res = f64.subarray(outAt / 8, outAt / 8 + n);
  for (let j = 0; j < n; j++) for (let t = 0; t < d; t++) f64[t * n2 + j] = data[j * d + t]!;
  return (i, out) => { fn(n2, d, 0, i, outAt); out.set(res); };
}

/** Whether the WebAssembly kernels run here (else tsneGradient2d uses the JavaScript twins). */
export function tsneSimd(): boolean {
  return module() !== null;
}

/** The loops over the layout above. */
interface Loops { repulsion(): void; attraction(): void }

class Gradient2d implements TsneGradient2d {
  private readonly x32: Float32Array;
  private readonly y32: Float32Array;
  private readonly rx: Float32Array;
  private readonly ry: Float32Array;

  /** f32: x, y, rx, ry (n each); f64: x, y, gx, gy (n each), Z */
  constructor(private readonly n: number, f32: Float32Array, private readonly f64: Float64Array, private readonly loops: Loops) {
    this.x32 = f32.subarray(0, n); this.y32 = f32.subarray(n, 2 * n); this.rx = f32.subarray(2 * n, 3 * n); this.ry = f32.subarray(3 * n, 4 * n);
  }

  private load(Y: Float64Array): void {
    const { n, f64, x32, y32 } = this;
    for (let i = 0; i < n; i++) {
      const x = Y[2 * i]!, y = Y[2 * i + 1]!;
      x32[i] = x; y32[i] = y; f64[i] = x; f64[n + i] = y;
    }
    this.rx.fill(0); this.ry.fill(0);
  }

  normaliser(Y: Float64Array): number {
    this.load(Y);
    this.loops.repulsion();
    return this.f64[4 * this.n]!;
  }

  gradient(Y: Float64Array, exaggeration: number, grad: Float64Array): number {
    const { n, f64, rx, ry } = this;
    this.load(Y);
    f64.fill(0, 2 * n, 4 * n);
    this.loops.repulsion();
    this.loops.attraction();
    const Z = f64[4 * n]!;
    for (let i = 0; i < n; i++) {
      grad[2 * i] = 4 * (exaggeration * f64[2 * n + i]! - rx[i]! / Z);
      grad[2 * i + 1] = 4 * (exaggeration * f64[3 * n + i]! - ry[i]! / Z);
    }
    return Z;
  }
}

/** The gradient of n points under P: WebAssembly unless `js` is asked for or SIMD is unavailable. */
export function tsneGradient2d(n: number, P: UpperP, opts: { js?: boolean } = {}): TsneGradient2d {
  const m = opts.js ? null : module();
  const nnz = P.cols.length;
  const rpAt = 48 * n + 8, colsAt = rpAt + 4 * (n + 1), valsAt = Math.ceil((colsAt + 4 * nnz) / 8) * 8;
  if (!m) {
    const buf = new ArrayBuffer(rpAt);
    const f32 = new Float32Array(buf, 0, 4 * n), f64 = new Float64Array(buf, 16 * n, 4 * n + 1);
    return new Gradient2d(n, f32, f64, {
      repulsion: () => { f64[4 * n] = repulsionJs(n, f32); },
      attraction: () => attractionJs(n, f64, P),
    });
  }
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((valsAt + 8 * nnz) / 65536)) });
  const ex = new WebAssembly.Instance(m, { env: { mem: memory } }).exports as {
    repulsion(n: number, x: number, y: number, rx: number, ry: number, out: number): void;
    attraction(n: number, x: number, y: number, gx: number, gy: number, rp: number, cols: number, vals: number): void;
  };
  const buf = memory.buffer;
  new Int32Array(buf, rpAt, n + 1).set(P.rowPtr);
  new Int32Array(buf, colsAt, nnz).set(P.cols);
  new Float64Array(buf, valsAt, nnz).set(P.vals);
  return new Gradient2d(n, new Float32Array(buf, 0, 4 * n), new Float64Array(buf, 16 * n, 4 * n + 1), {
    repulsion: () => ex.repulsion(n, 0, 4 * n, 8 * n, 12 * n, 48 * n),
    attraction: () => ex.attraction(n, 16 * n, 24 * n, 32 * n, 40 * n, rpAt, colsAt, valsAt),
  });
}

/**
 * The repulsion kernel's twin (f32 holds x, y, rx, ry as in the module's memory); returns Z.
 * Math.fround after every operation: a double operation on floats, rounded, is the float one.
 */
function repulsionJs(n: number, f32: Float32Array): number {
  const X = 0, Y = n, RX = 2 * n, RY = 3 * n, r = Math.fround;
  const zl = new Float32Array(4), axl = new Float32Array(4), ayl = new Float32Array(4);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const xi = f32[X + i]!, yi = f32[Y + i]!;
    zl.fill(0); axl.fill(0); ayl.fill(0);
    let tx = 0, ty = 0, zt = 0, j = i + 1;
    for (; j + 4 <= n; j += 4) {
      for (let l = 0; l < 4; l++) {
        const ex = r(xi - f32[X + j + l]!), ey = r(yi - f32[Y + j + l]!);
        let w = r(1 / r(1 + r(r(ex * ex) + r(ey * ey))));
        zl[l] = w + zl[l]!;
        w = r(w * w);
        const fx = r(w * ex), fy = r(w * ey);
        axl[l] = axl[l]! + fx; ayl[l] = ayl[l]! + fy;
        f32[RX + j + l] = f32[RX + j + l]! - fx; f32[RY + j + l] = f32[RY + j + l]! - fy;
      }
    }
    for (; j < n; j++) {
      const ex = r(xi - f32[X + j]!), ey = r(yi - f32[Y + j]!);
      let w = r(1 / r(1 + r(r(ex * ex) + r(ey * ey))));
      zt = r(w + zt);
      w = r(w * w);
      const fx = r(w * ex), fy = r(w * ey);
      tx = r(tx + fx); ty = r(ty + fy);
      f32[RX + j] = f32[RX + j]! - fx; f32[RY + j] = f32[RY + j]! - fy;
    }
    f32[RX + i] = f32[RX + i]! + r(lanes(axl) + tx);
    f32[RY + i] = f32[RY + i]! + r(lanes(ayl) + ty);
    z += r(lanes(zl) + zt);
  }
  return 2 * z;
}

function lanes(a: Float32Array): number {
  return Math.fround(Math.fround(a[0]! + a[1]!) + Math.fround(a[2]! + a[3]!));
}

/** The attraction kernel's twin (f64 holds x, y, gx, gy as in the module's memory). */
function attractionJs(n: number, f64: Float64Array, P: UpperP): void {
  const X = 0, Y = n, GX = 2 * n, GY = 3 * n;
  const { rowPtr, cols, vals } = P;
  for (let i = 0; i < n; i++) {
    const xi = f64[X + i]!, yi = f64[Y + i]!;
    let gx = 0, gy = 0;
    for (let t = rowPtr[i]!, e = rowPtr[i + 1]!; t < e; t++) {
      const j = cols[t]!;
      const ex = xi - f64[X + j]!, ey = yi - f64[Y + j]!;
      const q = vals[t]! / (1 + (ex * ex + ey * ey));
      const fx = q * ex, fy = q * ey;
      gx += fx; gy += fy;
      f64[GX + j] -= fx; f64[GY + j] -= fy;
    }
    f64[GX + i] += gx; f64[GY + i] += gy;
  }
}
