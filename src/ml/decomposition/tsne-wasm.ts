// The all-pairs repulsion of 2-D t-SNE (tsne.ts repulsion2d) as WebAssembly SIMD: a point's two
// coordinates are one f64x2, so each pair costs one subtract, one multiply and one update of
// each force vector, with no bounds checks. Every operation is the JavaScript loop's, in its
// order (e0*e0 + e1*e1, 1 / (1 + s), Z + 2w, w*w times e, r + f, rep_j - f), so the forces and
// Z are the same bits; about 3x faster. Layout in the module's own memory: Y (n x 2 float64)
// at 0, the forces R (n x 2) right after, Z (one float64) after R.
import { F64, I32, V128, i32Const, localGet as get, localSet as set, localTee as tee, memoryModule, simdOp, uleb } from '../../util/wasm.ts';

const f64c = (v: number): number[] => [0x44, ...new Uint8Array(Float64Array.of(v).buffer)];
const LOAD = (): number[] => simdOp(0x00, 4, ...uleb(0));
const STORE = (): number[] => simdOp(0x0b, 4, ...uleb(0));
const F64X2_SPLAT = 0x14, F64X2_EXTRACT = 0x21, F64X2_ADD = 0xf0, F64X2_SUB = 0xf1, F64X2_MUL = 0xf2;
const I32_ADD = 0x6a, I32_GE_U = 0x4f, I32_SHL = 0x74, F64_ADD = 0xa0, F64_MUL = 0xa2, F64_DIV = 0xa3, F64_STORE = 0x39;

// params: n, Y, R, out; locals: i32 i, j, pj, rj; f64 Z, w; v128 yi, ri, e, f
const [N, Y, R, OUT, I, J, PJ, RJ, Z, W, YI, RI, E, F] = Array.from({ length: 14 }, (_, k) => k);

function buildModule(): Uint8Array {
  const at = (base: number, idx: number) => [...get(base), ...get(idx), ...i32Const(4), I32_SHL, I32_ADD];
  const code = [
    ...f64c(0), ...set(Z),
    ...i32Const(0), ...set(I),
    0x02, 0x40, 0x03, 0x40, // block, loop (rows i)
    ...get(I), ...get(N), I32_GE_U, 0x0d, 1,
    ...at(Y, I), ...LOAD(), ...set(YI),
    ...at(R, I), ...LOAD(), ...set(RI),
    ...get(I), ...i32Const(1), I32_ADD, ...set(J),
    ...at(Y, J), ...set(PJ),
    ...at(R, J), ...set(RJ),
    0x02, 0x40, 0x03, 0x40, // block, loop (rows j > i)
    ...get(J), ...get(N), I32_GE_U, 0x0d, 1,
    // e = y_i - y_j; s = e0*e0 + e1*e1; w = 1 / (1 + s)
    ...get(YI), ...get(PJ), ...LOAD(), ...simdOp(F64X2_SUB), ...tee(E),
    ...get(E), ...simdOp(F64X2_MUL), ...tee(F),
    ...simdOp(F64X2_EXTRACT, 0), ...get(F), ...simdOp(F64X2_EXTRACT, 1), F64_ADD,
    ...set(W), ...f64c(1), ...f64c(1), ...get(W), F64_ADD, F64_DIV, ...set(W),
    // Z += 2w
    ...get(Z), ...f64c(2), ...get(W), F64_MUL, F64_ADD, ...set(Z),
    // f = (w*w) e; r_i += f; r_j -= f
    ...get(W), ...get(W), F64_MUL, ...simdOp(F64X2_SPLAT), ...get(E), ...simdOp(F64X2_MUL), ...set(F),
    ...get(RI), ...get(F), ...simdOp(F64X2_ADD), ...set(RI),
    ...get(RJ), ...get(RJ), ...LOAD(), ...get(F), ...simdOp(F64X2_SUB), ...STORE(),
    ...get(J), ...i32Const(1), I32_ADD, ...set(J),
    ...get(PJ), ...i32Const(16), I32_ADD, ...set(PJ),
    ...get(RJ), ...i32Const(16), I32_ADD, ...set(RJ),
    0x0c, 0, 0x0b, 0x0b, // br (loop j), end loop, end block
    ...at(R, I), ...get(RI), ...STORE(),
    ...get(I), ...i32Const(1), I32_ADD, ...set(I),
    0x0c, 0, 0x0b, 0x0b, // br (loop i), end loop, end block
    ...get(OUT), ...get(Z), F64_STORE, 3, 0,
  ];
  return memoryModule([{ name: 'repulsion', params: 4, locals: [[4, I32], [2, F64], [4, V128]], code }]);
}

let compiled: WebAssembly.Module | null | undefined;

/** The repulsion loop for n points, or null where WebAssembly SIMD is unavailable. */
export function wasmRepulsion2d(n: number): ((Y: Float64Array, rep: Float64Array) => number) | null {
  if (compiled === undefined) {
    try { compiled = new WebAssembly.Module(buildModule()); } catch { compiled = null; }
  }
  if (!compiled) return null;
  const bytes = 32 * n + 16;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) });
  const fn = new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports.repulsion as (n: number, y: number, r: number, out: number) => void;
  const f64 = new Float64Array(memory.buffer, 0, 4 * n + 1);
  const yv = f64.subarray(0, 2 * n), rv = f64.subarray(2 * n, 4 * n);
  return (Yin, rep) => {
    yv.set(Yin);
    rv.set(rep);
    fn(n, 0, 16 * n, 32 * n);
    rep.set(rv);
    return f64[4 * n]!;
  };
}
