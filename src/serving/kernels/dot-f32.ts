// Scores of one query vector against every row of a float32 factor matrix (n x f): the inner
// loop of a recommendation request (20,000 tracks x 64 factors is 1.3 M multiply-adds). A small
// WebAssembly SIMD kernel (f32x4, four independent accumulators) does it several times faster
// than scalar JavaScript, which keeps one request well under a millisecond. Rows whose width is
// not a multiple of 16, or a runtime without WebAssembly SIMD, use the unrolled JavaScript loop.
import { KernelCache, ModuleBuilder, instantiate } from '../../util/wasm.ts';

/** (func score (y x out n f)): out[i] = dot(y[i*f .. i*f+f], x) for i < n; f % 16 == 0; byte pointers. */
export function dotKernel(): ModuleBuilder {
  const m = new ModuleBuilder('dot-f32', { min: 1 });
  m.func('score', { y: 'i32', x: 'i32', out: 'i32', n: 'i32', f: 'i32' }, (fn, p) => {
    const i = fn.local('i32', 'i'), k = fn.local('i32', 'k'), yp = fn.local('i32', 'yp'), fb = fn.local('i32', 'fb');
    const ya = fn.local('i32', 'ya'), xa = fn.local('i32', 'xa');
    const acc = fn.locals('v128', 4, 'acc');
    /** acc[a] += y[ya + off .. +16] * x[xa + off .. +16] */
    const accStep = (a: number, off: number) => fn.get(acc[a]!).get(ya).mem('v128.load', off).get(xa).mem('v128.load', off)
      .op('f32x4.mul', 'f32x4.add').set(acc[a]!);
    fn.get(p.f).i32(2).op('i32.shl').set(fb); // fb = f << 2 (bytes of a row)
    fn.get(p.y).set(yp);
    fn.i32(0).set(i);
    fn.block((exit) => fn.loop((rows) => {
      fn.get(i).get(p.n).op('i32.ge_u').brIf(exit);
      for (const a of acc) fn.v128zero().set(a);
      fn.i32(0).set(k);
      fn.loop((cols) => {
        fn.comment('16 floats a step, four independent accumulators');
        fn.get(yp).get(k).op('i32.add').set(ya);
        fn.get(p.x).get(k).op('i32.add').set(xa);
        accStep(0, 0); accStep(1, 16); accStep(2, 32); accStep(3, 48);
        fn.get(k).i32(64).op('i32.add').tee(k).get(fb).op('i32.lt_u').brIf(cols);
      });
      fn.get(p.out).get(i).i32(2).op('i32.shl', 'i32.add'); // &out[i]
      fn.get(acc[0]!).get(acc[1]!).op('f32x4.add').get(acc[2]!).op('f32x4.add').get(acc[3]!).op('f32x4.add').tee(acc[0]!);
      fn.lane('f32x4.extract_lane', 0);
      for (let l = 1; l < 4; l++) fn.get(acc[0]!).lane('f32x4.extract_lane', l).op('f32.add');
      fn.mem('f32.store');
      fn.get(yp).get(fb).op('i32.add').set(yp);
      fn.get(i).i32(1).op('i32.add').set(i);
      fn.br(rows);
    }));
  });
  return m;
}

const cache = new KernelCache<'score'>();
/** the compiled kernel, or null without WebAssembly SIMD (the JavaScript loop serves) */
const wasmModule = (): WebAssembly.Module | null => cache.get('score', dotKernel);

/** A fixed factor matrix, ready to score query vectors against. */
export interface DotScorer {
  readonly rows: number;
  readonly cols: number;
  readonly simd: boolean;
  /** scores of x against every row, as a new array */
  score(x: ArrayLike<number>): Float32Array;
  /**
   * The same scores in the scorer's own buffer, overwritten by the next call: for a caller that
   * is done with them before it calls again (saves an allocation per request).
   */
  scoreShared(x: ArrayLike<number>): Float32Array;
  /** out[r] = the score of row rows[r] for r < count: the very value score() gives that row */
  scoreRows(x: ArrayLike<number>, rows: Int32Array, count: number, out: Float32Array): void;
}

export function dotScorer(Y: Float32Array | Float64Array, rows: number, cols: number): DotScorer {
  if (Y.length !== rows * cols) throw new Error(`dotScorer: ${Y.length} values for ${rows} x ${cols}`);
  const mod = cols % 16 === 0 && cols > 0 ? wasmModule() : null;
  if (mod) {
    const yBytes = rows * cols * 4, xBytes = cols * 4, outBytes = rows * 4;
    const pages = Math.ceil((yBytes + xBytes + outBytes + 64) / 65536);
    const mem = new WebAssembly.Memory({ initial: pages });
    const run = instantiate<{ score(y: number, x: number, out: number, n: number, f: number): void }>(mod, mem).score;
    const yOff = 0, xOff = yBytes, outOff = yBytes + xBytes;
    new Float32Array(mem.buffer, yOff, rows * cols).set(Y);
    const xs = new Float32Array(mem.buffer, xOff, cols);
    const out = new Float32Array(mem.buffer, outOff, rows);
    return {
      rows, cols, simd: true,
      score(x) { return this.scoreShared(x).slice(); },
      scoreShared(x) {
        for (let k = 0; k < cols; k++) xs[k] = x[k]!;
        run(yOff, xOff, outOff, rows, cols);
        return out;
      },
      scoreRows(x, which, count, dst) {
        for (let k = 0; k < cols; k++) xs[k] = x[k]!;
        // one row at a time through the same kernel, so each score is bit-identical to the dense one
        for (let r = 0; r < count; r++) { run(yOff + which[r]! * cols * 4, xOff, outOff, 1, cols); dst[r] = out[0]!; }
      },
    };
  }
  const Yf = Y instanceof Float32Array ? Y : Float32Array.from(Y);
  const shared = new Float32Array(rows);
  const c4 = cols - (cols % 4);
  const rowScore = (x: ArrayLike<number>, i: number) => {
    let o = i * cols, s0 = 0, s1 = 0, s2 = 0, s3 = 0, k = 0;
    for (; k < c4; k += 4, o += 4) { s0 += x[k]! * Yf[o]!; s1 += x[k + 1]! * Yf[o + 1]!; s2 += x[k + 2]! * Yf[o + 2]!; s3 += x[k + 3]! * Yf[o + 3]!; }
    for (; k < cols; k++, o++) s0 += x[k]! * Yf[o]!;
    return s0 + s1 + s2 + s3;
  };
  const compute = (x: ArrayLike<number>, out: Float32Array) => {
    for (let i = 0; i < rows; i++) out[i] = rowScore(x, i);
    return out;
  };
  return {
    rows, cols, simd: false,
    score: (x) => compute(x, new Float32Array(rows)),
    scoreShared: (x) => compute(x, shared),
    scoreRows: (x, which, count, dst) => { for (let r = 0; r < count; r++) dst[r] = rowScore(x, which[r]!); },
  };
}

/**
 * The kernel's arithmetic in plain TypeScript: four f32x4 accumulators over 16 floats a step,
 * summed lane-wise, then the lanes in order, every operation rounded to float32 as the kernel
 * rounds it (the differential test compares them bit for bit). cols a positive multiple of 16.
 */
export function dotTwin(Y: Float32Array, x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const f = Math.fround, acc = new Float32Array(16);
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    const o = i * cols;
    let k = 0;
    do {
      for (let a = 0; a < 16; a++) acc[a] = f(acc[a]! + f(Y[o + k + a]! * x[k + a]!));
      k += 16;
    } while (k < cols);
    const v = [0, 1, 2, 3].map((l) => f(f(f(acc[l]! + acc[4 + l]!) + acc[8 + l]!) + acc[12 + l]!));
    out[i] = f(f(f(v[0]! + v[1]!) + v[2]!) + v[3]!);
  }
}
