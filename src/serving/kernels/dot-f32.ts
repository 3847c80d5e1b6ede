// Scores of one query vector against every row of a float32 factor matrix (n x f): the inner
// loop of a recommendation request (20,000 tracks x 64 factors is 1.3 M multiply-adds). A small
// WebAssembly SIMD kernel (f32x4, four independent accumulators) does it several times faster
// than scalar JavaScript, which keeps one request well under a millisecond. Rows whose width is
// not a multiple of 16, or a runtime without WebAssembly SIMD, use the unrolled JavaScript loop.
import { I32, V128, i32Const as i32c, localGet as get, localSet as set, localTee as tee, memoryModule, simdOp as simd, v128Load as load } from '../../util/wasm.ts';

const F32X4_ADD = 0xe4, F32X4_MUL = 0xe6, EXTRACT = 0x1f;

/** (func score (y x out n f)): out[i] = dot(y[i*f .. i*f+f], x) for i < n; f % 16 == 0; byte pointers. */
function kernelBytes(): Uint8Array {
  // params 0 y, 1 x, 2 out, 3 n, 4 f; locals 5 i, 6 k, 7 yp, 8 fb, 9 ya, 10 xa (i32), 11..14 acc (v128)
  const Y = 0, X = 1, OUT = 2, N = 3, F = 4, I = 5, K = 6, YP = 7, FB = 8, YA = 9, XA = 10, A = 11;
  const zero = simd(0x0c, ...new Array(16).fill(0));
  const accStep = (a: number, off: number) => [...get(A + a), ...get(YA), ...load(off), ...get(XA), ...load(off), ...simd(F32X4_MUL), ...simd(F32X4_ADD), ...set(A + a)];
  const body = [
    ...get(F), ...i32c(2), 0x74, ...set(FB), // fb = f << 2
    ...get(Y), ...set(YP),
    ...i32c(0), ...set(I),
    0x02, 0x40, 0x03, 0x40, // block, loop
    ...get(I), ...get(N), 0x4f, 0x0d, 1, // if i >= n: break
    ...zero, ...set(A), ...zero, ...set(A + 1), ...zero, ...set(A + 2), ...zero, ...set(A + 3),
    ...i32c(0), ...set(K),
    0x03, 0x40, // inner loop over the row, 16 floats a step
    ...get(YP), ...get(K), 0x6a, ...set(YA),
    ...get(X), ...get(K), 0x6a, ...set(XA),
    ...accStep(0, 0), ...accStep(1, 16), ...accStep(2, 32), ...accStep(3, 48),
    ...get(K), ...i32c(64), 0x6a, ...tee(K), ...get(FB), 0x49, 0x0d, 0, // k += 64; if k < fb continue
    0x0b,
    ...get(OUT), ...get(I), ...i32c(2), 0x74, 0x6a, // &out[i]
    ...get(A), ...get(A + 1), ...simd(F32X4_ADD), ...get(A + 2), ...simd(F32X4_ADD), ...get(A + 3), ...simd(F32X4_ADD), ...tee(A),
    ...simd(EXTRACT, 0), ...get(A), ...simd(EXTRACT, 1), 0x92, ...get(A), ...simd(EXTRACT, 2), 0x92, ...get(A), ...simd(EXTRACT, 3), 0x92,
    0x38, 2, 0, // f32.store
    ...get(YP), ...get(FB), 0x6a, ...set(YP),
    ...get(I), ...i32c(1), 0x6a, ...set(I),
    0x0c, 0, // br loop
    0x0b, 0x0b, // end loop, end block
  ];
  return memoryModule([{ name: 'score', params: 5, locals: [[6, I32], [4, V128]], code: body }]);
}

let compiled: WebAssembly.Module | null | undefined;
function wasmModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(kernelBytes());
    } catch {
      compiled = null; // no WebAssembly SIMD here: the JavaScript loop serves
    }
  }
  return compiled;
}

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
    const inst = new WebAssembly.Instance(mod, { env: { mem } });
    const run = inst.exports.score as (y: number, x: number, out: number, n: number, f: number) => void;
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
