// The two loops of a 2-D t-SNE gradient (tsne.ts), as WebAssembly SIMD with a JavaScript twin
// that performs the same floating-point operations in the same order (the same bits; the
// JavaScript one runs where WebAssembly SIMD is unavailable, and is what the tests check the
// kernel against).
//  - repulsion: all pairs i < j, two j at a time (coordinates stored as separate x and y arrays,
//    so one f64x2 holds two points' x): one f64x2 division serves two pairs, which is what bounds
//    the loop. Lane 0 sums the pairs at even offsets from i + 1, lane 1 the odd ones, a lone last
//    pair goes through the scalar tail; row i's own force is (lane 0 + lane 1) + tail.
//  - attraction: the upper triangle (j > i) of the symmetric sparse P, each edge applied to both
//    of its points: half the edges of the full matrix.
// Layout in the module's own memory (bytes; n points): x at 0, y at 8n, repulsion sums rx at 16n,
// ry at 24n, attraction sums gx at 32n, gy at 40n, Z at 48n, then P's row pointers (i32, n + 1),
// column indices (i32) and values (f64).
import { F64, I32, V128, i32Const, localGet as get, localSet as set, localTee as tee, memoryModule, simdOp, uleb } from '../../util/wasm.ts';

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

function repulsionFn() {
  // params: n, x, y, rx, ry, out
  const N = 0, XA = 1, YA = 2, RXA = 3, RYA = 4, OUT = 5;
  // i32: i, j, px, py, prx, pry; f64: zt, w, ex, ey, tx, ty, xi, yi; v128: xiv, yiv, ax, ay, zv, exv, eyv, wv, fx, fy, one
  const I = 6, J = 7, PX = 8, PY = 9, PRX = 10, PRY = 11;
  const ZT = 12, W = 13, EX = 14, EY = 15, TX = 16, TY = 17, XI = 18, YI = 19;
  const XIV = 20, YIV = 21, AX = 22, AY = 23, ZV = 24, EXV = 25, EYV = 26, WV = 27, FX = 28, FY = 29, ONE = 30;
  const at = (base: number, idx: number) => [...get(base), ...get(idx), ...i32Const(3), I32_SHL, I32_ADD];
  const code = [
    ...f64c(1), ...vop(SPLAT), ...set(ONE),
    ...V_ZERO(), ...set(ZV),
    ...BLOCK, ...LOOP, // rows i
    ...get(I), ...get(N), I32_GE_U, BR_IF, 1,
    ...at(XA, I), ...F64_LOAD(), ...tee(XI), ...vop(SPLAT), ...set(XIV),
    ...at(YA, I), ...F64_LOAD(), ...tee(YI), ...vop(SPLAT), ...set(YIV),
    ...V_ZERO(), ...set(AX), ...V_ZERO(), ...set(AY), ...f64c(0), ...set(TX), ...f64c(0), ...set(TY),
    ...get(I), ...i32Const(1), I32_ADD, ...set(J),
    ...at(XA, J), ...set(PX), ...at(YA, J), ...set(PY), ...at(RXA, J), ...set(PRX), ...at(RYA, J), ...set(PRY),
    ...BLOCK, ...LOOP, // two j at a time
    ...get(J), ...i32Const(2), I32_ADD, ...get(N), I32_GT_U, BR_IF, 1,
    ...get(XIV), ...get(PX), ...V_LOAD(), ...vop(VSUB), ...set(EXV),
    ...get(YIV), ...get(PY), ...V_LOAD(), ...vop(VSUB), ...set(EYV),
    // w = 1 / (1 + (ex*ex + ey*ey))
    ...get(ONE), ...get(ONE), ...get(EXV), ...get(EXV), ...vop(VMUL), ...get(EYV), ...get(EYV), ...vop(VMUL), ...vop(VADD), ...vop(VADD), ...vop(VDIV), ...tee(WV),
    ...get(ZV), ...vop(VADD), ...set(ZV), // zv = zv + w (as the twin: z + w)
    ...get(WV), ...get(WV), ...vop(VMUL), ...set(WV),
    ...get(WV), ...get(EXV), ...vop(VMUL), ...set(FX),
    ...get(WV), ...get(EYV), ...vop(VMUL), ...set(FY),
    ...get(AX), ...get(FX), ...vop(VADD), ...set(AX),
    ...get(AY), ...get(FY), ...vop(VADD), ...set(AY),
    ...get(PRX), ...get(PRX), ...V_LOAD(), ...get(FX), ...vop(VSUB), ...V_STORE(),
    ...get(PRY), ...get(PRY), ...V_LOAD(), ...get(FY), ...vop(VSUB), ...V_STORE(),
    ...get(J), ...i32Const(2), I32_ADD, ...set(J),
    ...get(PX), ...i32Const(16), I32_ADD, ...set(PX),
    ...get(PY), ...i32Const(16), I32_ADD, ...set(PY),
    ...get(PRX), ...i32Const(16), I32_ADD, ...set(PRX),
    ...get(PRY), ...i32Const(16), I32_ADD, ...set(PRY),
    BR, 0, END, END,
    // a lone last pair
    ...get(J), ...get(N), I32_LT_U, ...IF,
    ...get(XI), ...get(PX), ...F64_LOAD(), F64_SUB, ...set(EX),
    ...get(YI), ...get(PY), ...F64_LOAD(), F64_SUB, ...set(EY),
    ...f64c(1), ...f64c(1), ...get(EX), ...get(EX), F64_MUL, ...get(EY), ...get(EY), F64_MUL, F64_ADD, F64_ADD, F64_DIV, ...tee(W),
    ...get(ZT), F64_ADD, ...set(ZT),
    ...get(W), ...get(W), F64_MUL, ...set(W),
    ...get(W), ...get(EX), F64_MUL, ...set(TX),
    ...get(W), ...get(EY), F64_MUL, ...set(TY),
    ...get(PRX), ...get(PRX), ...F64_LOAD(), ...get(TX), F64_SUB, ...F64_STORE(),
    ...get(PRY), ...get(PRY), ...F64_LOAD(), ...get(TY), F64_SUB, ...F64_STORE(),
    END,
    // r_i += (lane 0 + lane 1) + tail
    ...at(RXA, I), ...at(RXA, I), ...F64_LOAD(), ...get(AX), ...vop(EXTRACT, 0), ...get(AX), ...vop(EXTRACT, 1), F64_ADD, ...get(TX), F64_ADD, F64_ADD, ...F64_STORE(),
    ...at(RYA, I), ...at(RYA, I), ...F64_LOAD(), ...get(AY), ...vop(EXTRACT, 0), ...get(AY), ...vop(EXTRACT, 1), F64_ADD, ...get(TY), F64_ADD, F64_ADD, ...F64_STORE(),
    ...get(I), ...i32Const(1), I32_ADD, ...set(I),
    BR, 0, END, END,
    // Z = 2 ((lane 0 + lane 1) + tail)
    ...get(OUT), ...f64c(2), ...get(ZV), ...vop(EXTRACT, 0), ...get(ZV), ...vop(EXTRACT, 1), F64_ADD, ...get(ZT), F64_ADD, F64_MUL, ...F64_STORE(),
  ];
  return { name: 'repulsion', params: 6, locals: [[6, I32], [8, F64], [11, V128]] as [number, number][], code };
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

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try { compiled = new WebAssembly.Module(memoryModule([repulsionFn(), attractionFn()])); } catch { compiled = null; }
  }
  return compiled;
}

/** Whether the WebAssembly kernels run here (else tsneGradient2d uses the JavaScript twins). */
export function tsneSimd(): boolean {
  return module() !== null;
}

/** The loops over views of one buffer: x, y, rx, ry, gx, gy (n each), z, and P. */
interface Loops { repulsion(): void; attraction(): void }

class Gradient2d implements TsneGradient2d {
  constructor(private readonly n: number, private readonly f64: Float64Array, private readonly loops: Loops) {}

  private load(Y: Float64Array): void {
    const { n, f64 } = this;
    for (let i = 0; i < n; i++) { f64[i] = Y[2 * i]!; f64[n + i] = Y[2 * i + 1]!; }
  }

  normaliser(Y: Float64Array): number {
    const { n, f64 } = this;
    this.load(Y);
    f64.fill(0, 2 * n, 4 * n);
    this.loops.repulsion();
    return f64[6 * n]!;
  }

  gradient(Y: Float64Array, exaggeration: number, grad: Float64Array): number {
    const { n, f64 } = this;
    this.load(Y);
    f64.fill(0, 2 * n, 6 * n);
    this.loops.repulsion();
    this.loops.attraction();
    const Z = f64[6 * n]!;
    for (let i = 0; i < n; i++) {
      grad[2 * i] = 4 * (exaggeration * f64[4 * n + i]! - f64[2 * n + i]! / Z);
      grad[2 * i + 1] = 4 * (exaggeration * f64[5 * n + i]! - f64[3 * n + i]! / Z);
    }
    return Z;
  }
}

/** The gradient of n points under P: WebAssembly unless `js` is asked for or SIMD is unavailable. */
export function tsneGradient2d(n: number, P: UpperP, opts: { js?: boolean } = {}): TsneGradient2d {
  const m = opts.js ? null : module();
  const nnz = P.cols.length;
  if (!m) {
    const f64 = new Float64Array(6 * n + 1);
    return new Gradient2d(n, f64, {
      repulsion: () => { f64[6 * n] = repulsionJs(n, f64); },
      attraction: () => attractionJs(n, f64, P),
    });
  }
  const rpAt = 48 * n + 8, colsAt = rpAt + 4 * (n + 1), valsAt = Math.ceil((colsAt + 4 * nnz) / 8) * 8;
  const bytes = valsAt + 8 * nnz;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const ex = new WebAssembly.Instance(m, { env: { mem: memory } }).exports as {
    repulsion(n: number, x: number, y: number, rx: number, ry: number, out: number): void;
    attraction(n: number, x: number, y: number, gx: number, gy: number, rp: number, cols: number, vals: number): void;
  };
  const buf = memory.buffer;
  new Int32Array(buf, rpAt, n + 1).set(P.rowPtr);
  new Int32Array(buf, colsAt, nnz).set(P.cols);
  new Float64Array(buf, valsAt, nnz).set(P.vals);
  return new Gradient2d(n, new Float64Array(buf, 0, 6 * n + 1), {
    repulsion: () => ex.repulsion(n, 0, 8 * n, 16 * n, 24 * n, 48 * n),
    attraction: () => ex.attraction(n, 0, 8 * n, 32 * n, 40 * n, rpAt, colsAt, valsAt),
  });
}

/** The repulsion kernel's twin (f64 holds x, y, rx, ry as in the module's memory); returns Z. */
function repulsionJs(n: number, f64: Float64Array): number {
  const X = 0, Y = n, RX = 2 * n, RY = 3 * n;
  let z0 = 0, z1 = 0, zt = 0;
  for (let i = 0; i < n; i++) {
    const xi = f64[X + i]!, yi = f64[Y + i]!;
    let ax0 = 0, ax1 = 0, ay0 = 0, ay1 = 0, tx = 0, ty = 0;
    let j = i + 1;
    for (; j + 2 <= n; j += 2) {
      const ex0 = xi - f64[X + j]!, ey0 = yi - f64[Y + j]!;
      const ex1 = xi - f64[X + j + 1]!, ey1 = yi - f64[Y + j + 1]!;
      let w0 = 1 / (1 + (ex0 * ex0 + ey0 * ey0)), w1 = 1 / (1 + (ex1 * ex1 + ey1 * ey1));
      z0 = z0 + w0; z1 = z1 + w1;
      w0 = w0 * w0; w1 = w1 * w1;
      const fx0 = w0 * ex0, fy0 = w0 * ey0, fx1 = w1 * ex1, fy1 = w1 * ey1;
      ax0 += fx0; ax1 += fx1; ay0 += fy0; ay1 += fy1;
      f64[RX + j] -= fx0; f64[RX + j + 1] -= fx1;
      f64[RY + j] -= fy0; f64[RY + j + 1] -= fy1;
    }
    if (j < n) {
      const ex = xi - f64[X + j]!, ey = yi - f64[Y + j]!;
      let w = 1 / (1 + (ex * ex + ey * ey));
      zt = w + zt;
      w = w * w;
      tx = w * ex; ty = w * ey;
      f64[RX + j] -= tx; f64[RY + j] -= ty;
    }
    f64[RX + i] += (ax0 + ax1) + tx;
    f64[RY + i] += (ay0 + ay1) + ty;
  }
  return 2 * ((z0 + z1) + zt);
}

/** The attraction kernel's twin (gx, gy at 4n, 5n of f64). */
function attractionJs(n: number, f64: Float64Array, P: UpperP): void {
  const X = 0, Y = n, GX = 4 * n, GY = 5 * n;
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
