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
import { ModuleBuilder, PAGE, instantiate, simdSupported, type FunctionBuilder, type Local } from '../../util/wasm.ts';

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

/** repulsion(n, x, y, rx, ry, out): the float32 loop over pairs i < j, Z into out (float64) */
function repulsionBody(f: FunctionBuilder, p: Record<'n' | 'x' | 'y' | 'rx' | 'ry' | 'out', Local>): void {
  const i = f.local('i32', 'i'), j = f.local('i32', 'j');
  const px = f.local('i32', 'px'), py = f.local('i32', 'py'), prx = f.local('i32', 'prx'), pry = f.local('i32', 'pry');
  const xi = f.local('f32', 'xi'), yi = f.local('f32', 'yi'), ex = f.local('f32', 'ex'), ey = f.local('f32', 'ey');
  const w = f.local('f32', 'w'), tx = f.local('f32', 'tailX'), ty = f.local('f32', 'tailY'), zt = f.local('f32', 'tailZ');
  const z = f.local('f64', 'z');
  const xiv = f.local('v128', 'xiv'), yiv = f.local('v128', 'yiv'), ax = f.local('v128', 'ax'), ay = f.local('v128', 'ay');
  const zv = f.local('v128', 'zv'), exv = f.local('v128', 'exv'), eyv = f.local('v128', 'eyv'), wv = f.local('v128', 'wv');
  const fx = f.local('v128', 'fx'), fy = f.local('v128', 'fy'), one = f.local('v128', 'one');
  /** the address of element idx of a float32 array */
  const at = (base: Local, idx: Local) => f.get(base).get(idx).i32(2).op('i32.shl', 'i32.add');
  const step = (by: number, ...ptrs: Local[]) => { for (const q of ptrs) f.get(q).i32(by).op('i32.add').set(q); };
  /** ((lane 0 + lane 1) + (lane 2 + lane 3)) of v */
  const lanes = (v: Local) => f.get(v).lane('f32x4.extract_lane', 0).get(v).lane('f32x4.extract_lane', 1).op('f32.add')
    .get(v).lane('f32x4.extract_lane', 2).get(v).lane('f32x4.extract_lane', 3).op('f32.add', 'f32.add');
  f.f32(1).op('f32x4.splat').set(one);
  f.block((rowsDone) => f.loop((nextRow) => {
    f.get(i).get(p.n).op('i32.ge_u').brIf(rowsDone);
    at(p.x, i).mem('f32.load').tee(xi).op('f32x4.splat').set(xiv);
    at(p.y, i).mem('f32.load').tee(yi).op('f32x4.splat').set(yiv);
    f.v128zero().set(ax).v128zero().set(ay).v128zero().set(zv);
    f.f32(0).set(tx).f32(0).set(ty).f32(0).set(zt);
    f.get(i).i32(1).op('i32.add').set(j);
    at(p.x, j).set(px); at(p.y, j).set(py); at(p.rx, j).set(prx); at(p.ry, j).set(pry);
    f.block((quadsDone) => f.loop((nextQuad) => {
      f.comment('four j at a time');
      f.get(j).i32(4).op('i32.add').get(p.n).op('i32.gt_u').brIf(quadsDone);
      f.get(xiv).get(px).mem('v128.load', 0, 8).op('f32x4.sub').set(exv);
      f.get(yiv).get(py).mem('v128.load', 0, 8).op('f32x4.sub').set(eyv);
      f.comment('w = 1 / (1 + (ex*ex + ey*ey))');
      f.get(one).get(one).get(exv).get(exv).op('f32x4.mul').get(eyv).get(eyv).op('f32x4.mul', 'f32x4.add', 'f32x4.add', 'f32x4.div').tee(wv);
      f.get(zv).op('f32x4.add').set(zv);
      f.get(wv).get(wv).op('f32x4.mul').set(wv);
      f.get(wv).get(exv).op('f32x4.mul').set(fx);
      f.get(wv).get(eyv).op('f32x4.mul').set(fy);
      f.get(ax).get(fx).op('f32x4.add').set(ax);
      f.get(ay).get(fy).op('f32x4.add').set(ay);
      f.get(prx).get(prx).mem('v128.load', 0, 8).get(fx).op('f32x4.sub').mem('v128.store', 0, 8);
      f.get(pry).get(pry).mem('v128.load', 0, 8).get(fy).op('f32x4.sub').mem('v128.store', 0, 8);
      f.get(j).i32(4).op('i32.add').set(j);
      step(16, px, py, prx, pry);
      f.br(nextQuad);
    }));
    f.comment('the last pairs one at a time');
    f.block((tailDone) => f.loop((nextPair) => {
      f.get(j).get(p.n).op('i32.ge_u').brIf(tailDone);
      f.get(xi).get(px).mem('f32.load').op('f32.sub').set(ex);
      f.get(yi).get(py).mem('f32.load').op('f32.sub').set(ey);
      f.f32(1).f32(1).get(ex).get(ex).op('f32.mul').get(ey).get(ey).op('f32.mul', 'f32.add', 'f32.add', 'f32.div').tee(w);
      f.get(zt).op('f32.add').set(zt);
      f.get(w).get(w).op('f32.mul').set(w);
      f.get(w).get(ex).op('f32.mul').set(ex);
      f.get(w).get(ey).op('f32.mul').set(ey);
      f.get(tx).get(ex).op('f32.add').set(tx);
      f.get(ty).get(ey).op('f32.add').set(ty);
      f.get(prx).get(prx).mem('f32.load').get(ex).op('f32.sub').mem('f32.store');
      f.get(pry).get(pry).mem('f32.load').get(ey).op('f32.sub').mem('f32.store');
      f.get(j).i32(1).op('i32.add').set(j);
      step(4, px, py, prx, pry);
      f.br(nextPair);
    }));
    f.comment('r_i += ((lane 0 + lane 1) + (lane 2 + lane 3)) + tail; Z += the same sum of w, in double');
    at(p.rx, i); at(p.rx, i).mem('f32.load'); lanes(ax).get(tx).op('f32.add', 'f32.add').mem('f32.store');
    at(p.ry, i); at(p.ry, i).mem('f32.load'); lanes(ay).get(ty).op('f32.add', 'f32.add').mem('f32.store');
    f.get(z); lanes(zv).get(zt).op('f32.add', 'f64.promote_f32', 'f64.add').set(z);
    f.get(i).i32(1).op('i32.add').set(i);
    f.br(nextRow);
  }));
  f.comment('Z over ordered pairs: twice the sum over i < j');
  f.get(p.out).f64(2).get(z).op('f64.mul').mem('f64.store');
}

/** attraction(n, x, y, gx, gy, rowPtr, cols, vals): each upper-triangle edge applied to both points */
function attractionBody(f: FunctionBuilder, p: Record<'n' | 'x' | 'y' | 'gx' | 'gy' | 'rowPtr' | 'cols' | 'vals', Local>): void {
  const i = f.local('i32', 'i'), t = f.local('i32', 't'), te = f.local('i32', 'tEnd'), j8 = f.local('i32', 'j8');
  const xi = f.local('f64', 'xi'), yi = f.local('f64', 'yi'), ex = f.local('f64', 'ex'), ey = f.local('f64', 'ey');
  const q = f.local('f64', 'q'), fx = f.local('f64', 'fx'), fy = f.local('f64', 'fy'), gx = f.local('f64', 'gx'), gy = f.local('f64', 'gy');
  const at = (base: Local, idx: Local, shift: number) => f.get(base).get(idx).i32(shift).op('i32.shl', 'i32.add');
  f.block((rowsDone) => f.loop((nextRow) => {
    f.get(i).get(p.n).op('i32.ge_u').brIf(rowsDone);
    at(p.x, i, 3).mem('f64.load').set(xi);
    at(p.y, i, 3).mem('f64.load').set(yi);
    f.f64(0).set(gx).f64(0).set(gy);
    at(p.rowPtr, i, 2).mem('i32.load').set(t);
    at(p.rowPtr, i, 2).mem('i32.load', 4).set(te); // rowPtr[i + 1]
    f.block((edgesDone) => f.loop((nextEdge) => {
      f.get(t).get(te).op('i32.ge_u').brIf(edgesDone);
      at(p.cols, t, 2).mem('i32.load').i32(3).op('i32.shl').set(j8);
      f.get(xi).get(p.x).get(j8).op('i32.add').mem('f64.load').op('f64.sub').set(ex);
      f.get(yi).get(p.y).get(j8).op('i32.add').mem('f64.load').op('f64.sub').set(ey);
      f.comment('q = p / (1 + (ex*ex + ey*ey))');
      at(p.vals, t, 3).mem('f64.load').f64(1).get(ex).get(ex).op('f64.mul').get(ey).get(ey).op('f64.mul', 'f64.add', 'f64.add', 'f64.div').set(q);
      f.get(q).get(ex).op('f64.mul').set(fx);
      f.get(q).get(ey).op('f64.mul').set(fy);
      f.get(gx).get(fx).op('f64.add').set(gx);
      f.get(gy).get(fy).op('f64.add').set(gy);
      f.get(p.gx).get(j8).op('i32.add').get(p.gx).get(j8).op('i32.add').mem('f64.load').get(fx).op('f64.sub').mem('f64.store');
      f.get(p.gy).get(j8).op('i32.add').get(p.gy).get(j8).op('i32.add').mem('f64.load').get(fy).op('f64.sub').mem('f64.store');
      f.get(t).i32(1).op('i32.add').set(t);
      f.br(nextEdge);
    }));
    at(p.gx, i, 3); at(p.gx, i, 3).mem('f64.load').get(gx).op('f64.add').mem('f64.store');
    at(p.gy, i, 3); at(p.gy, i, 3).mem('f64.load').get(gy).op('f64.add').mem('f64.store');
    f.get(i).i32(1).op('i32.add').set(i);
    f.br(nextRow);
  }));
}

/** distances(n2, d, x, i, out): squared distances of row i to all rows; x column-major, n2 the column stride (n rounded up to even) */
function distancesBody(f: FunctionBuilder, p: Record<'n2' | 'd' | 'x' | 'i' | 'out', Local>): void {
  const t = f.local('i32', 't'), col = f.local('i32', 'col'), pq = f.local('i32', 'pq'), po = f.local('i32', 'po'), lim = f.local('i32', 'lim');
  const xiv = f.local('v128', 'xiv'), e = f.local('v128', 'e');
  f.block((colsDone) => f.loop((nextCol) => {
    f.get(t).get(p.d).op('i32.ge_u').brIf(colsDone);
    f.comment('col = x + 8 t n2; xi = col[i]');
    f.get(p.x).get(t).get(p.n2).op('i32.mul').i32(3).op('i32.shl', 'i32.add').tee(col);
    f.get(p.i).i32(3).op('i32.shl', 'i32.add').mem('f64.load').op('f64x2.splat').set(xiv);
    f.get(col).set(pq).get(p.out).set(po);
    f.get(p.out).get(p.n2).i32(3).op('i32.shl', 'i32.add').set(lim);
    f.block((rowsDone) => f.loop((nextRows) => {
      f.comment('rows j, two at a time');
      f.get(po).get(lim).op('i32.ge_u').brIf(rowsDone);
      f.get(xiv).get(pq).mem('v128.load', 0, 8).op('f64x2.sub').tee(e).get(e).op('f64x2.mul').set(e);
      f.comment('the first column writes e*e (as 0 + e*e), the others add it');
      f.get(po);
      f.get(t).op('i32.eqz').ifResult('v128', () => f.get(e), () => f.get(po).mem('v128.load', 0, 8).get(e).op('f64x2.add'));
      f.mem('v128.store', 0, 8);
      f.get(pq).i32(16).op('i32.add').set(pq);
      f.get(po).i32(16).op('i32.add').set(po);
      f.br(nextRows);
    }));
    f.get(t).i32(1).op('i32.add').set(t);
    f.br(nextCol);
  }));
}

/** The t-SNE kernels: repulsion, attraction and the row distances of the affinities. */
export function tsneKernel(): ModuleBuilder {
  const m = new ModuleBuilder('tsne', { min: 1 });
  m.func('repulsion', { n: 'i32', x: 'i32', y: 'i32', rx: 'i32', ry: 'i32', out: 'i32' }, repulsionBody);
  m.func('attraction', { n: 'i32', x: 'i32', y: 'i32', gx: 'i32', gy: 'i32', rowPtr: 'i32', cols: 'i32', vals: 'i32' }, attractionBody);
  m.func('distances', { n2: 'i32', d: 'i32', x: 'i32', i: 'i32', out: 'i32' }, distancesBody);
  return m;
}

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try { compiled = tsneKernel().compile(); } catch (e) {
      // no SIMD here: the JavaScript twins; SIMD here but the module rejected: a bug to report
      if (simdSupported()) throw e;
      compiled = null;
    }
  }
  return compiled;
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
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((outAt + 8 * n2) / PAGE)) });
  const fn = instantiate<{ distances(n2: number, d: number, x: number, i: number, out: number): void }>(m, memory).distances;
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
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil((valsAt + 8 * nnz) / PAGE)) });
  const ex = instantiate<{
    repulsion(n: number, x: number, y: number, rx: number, ry: number, out: number): void;
    attraction(n: number, x: number, y: number, gx: number, gy: number, rp: number, cols: number, vals: number): void;
  }>(m, memory);
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
