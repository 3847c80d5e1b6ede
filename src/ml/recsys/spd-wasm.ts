// The inner kernel of the blocked SPD inverse (spd-inverse.ts's subDots) as WebAssembly SIMD:
// sixteen dot products of four rows of A with four rows of B (contiguous float64 segments of the
// same length), with f64x2 arithmetic, written as a 4 x 4 block of sums to a per-thread scratch
// slot. Scalar JavaScript spends most of its time on loads and bounds checks; this straight-line
// vector loop does the same work several times faster. The matrices live in one shared
// WebAssembly.Memory, so worker threads instantiate the kernel over the very same data.
//
// Layout of the memory: a header page (an atomic slot counter, then 4 x 4 float64 scratch per
// thread), then whatever the caller places (G and W for EASE).

import { F64, I32, V128, i32Const as i32c, localGet as get, localSet as set, memoryModule, simdOp as simd, uleb as u, v128Load } from '../../util/wasm.ts';

const vload = v128Load(0, 3); // align=8 offset 0
const F64X2_ADD = 0xf0, F64X2_MUL = 0xf2, EXTRACT = 0x21;
const ADD = 0x6a, MUL = 0x6c, AND = 0x71, LT_U = 0x49;
const F64LOAD = (off: number) => [0x2b, 3, ...u(off)], F64STORE = (off: number) => [0x39, 3, ...u(off)];

/** Bytes of the header: slot counter (16 bytes), then MAX_SLOTS scratch blocks of 16 float64. */
export const MAX_SLOTS = 64;
export const HEADER_BYTES = 16 + MAX_SLOTS * 128;

/**
 * (func dot44 (pa pb len rb out)): out[r*4+s] = sum_{m < len} A(pa + r*rb)[m] * B(pb + s*rb)[m],
 * r, s < 4; byte pointers; rows are float64.
 */
function kernelBytes(): Uint8Array {
  const PA = 0, PB = 1, LEN = 2, RB = 3, OUT = 4;
  // i32 locals: 5 m (byte offset), 6 end, 7..10 a rows, 11..12 b rows; v128: 13..20 acc, 21..24 a
  // values, 25..26 b values; f64: 27 tmp
  const M = 5, END = 6, AR = 7, BR = 11, ACC = 13, X = 21, Y = 25, T = 27;
  const body: number[] = [];
  // a rows and the vector loop's end (an even count of elements, in bytes)
  for (let r = 0; r < 4; r++) body.push(...get(PA), ...get(RB), ...i32c(r), MUL, ADD, ...set(AR + r));
  body.push(...get(LEN), ...i32c(-2), AND, ...i32c(3), 0x74, ...set(END)); // end = (len & ~1) << 3
  const zero = simd(0x0c, ...new Array(16).fill(0));
  for (let half = 0; half < 2; half++) {
    // b rows 2*half, 2*half+1
    for (let s = 0; s < 2; s++) body.push(...get(PB), ...get(RB), ...i32c(2 * half + s), MUL, ADD, ...set(BR + s));
    for (let a = 0; a < 8; a++) body.push(...zero, ...set(ACC + a));
    body.push(...i32c(0), ...set(M));
    // two vector steps per iteration (load offsets 0 and 16), then one more if len % 4 >= 2
    const step = (off: number) => {
      const ld = simd(0x00, 3, ...u(off));
      for (let r = 0; r < 4; r++) body.push(...get(AR + r), ...get(M), ADD, ...ld, ...set(X + r));
      for (let q = 0; q < 2; q++) body.push(...get(BR + q), ...get(M), ADD, ...ld, ...set(Y + q));
      for (let q = 0; q < 2; q++) {
        for (let r = 0; r < 4; r++) {
          body.push(...get(ACC + r * 2 + q), ...get(X + r), ...get(Y + q), ...simd(F64X2_MUL), ...simd(F64X2_ADD), ...set(ACC + r * 2 + q));
        }
      }
    };
    body.push(0x02, 0x40, 0x03, 0x40); // block, loop
    body.push(...get(M), ...i32c(32), ADD, ...get(END), 0x4b, 0x0d, 1); // if m + 32 > end: break
    step(0); step(16);
    body.push(...get(M), ...i32c(32), ADD, ...set(M), 0x0c, 0, 0x0b, 0x0b); // m += 32; continue
    body.push(...get(M), ...get(END), LT_U, 0x04, 0x40); // if m < end: one more step
    step(0);
    body.push(0x0b);
    // horizontal sums, the odd element, the store
    for (let r = 0; r < 4; r++) {
      for (let s = 0; s < 2; s++) {
        const a = ACC + r * 2 + s;
        body.push(...get(a), ...simd(EXTRACT, 0), ...get(a), ...simd(EXTRACT, 1), 0xa0, ...set(T));
        // if (len & 1) tmp += A[end] * B[end]
        body.push(...get(LEN), ...i32c(1), AND, 0x04, 0x40,
          ...get(T), ...get(AR + r), ...get(END), ADD, ...F64LOAD(0), ...get(BR + s), ...get(END), ADD, ...F64LOAD(0), 0xa2, 0xa0, ...set(T),
          0x0b);
        body.push(...get(OUT), ...get(T), ...F64STORE((r * 4 + 2 * half + s) * 8));
      }
    }
  }
  // a shared memory, so worker threads run the kernel over the same data
  return memoryModule([{ name: 'dot44', params: 5, locals: [[8, I32], [14, V128], [1, F64]], code: body }], { minPages: 1, sharedMaxPages: 65536 });
}

let compiled: WebAssembly.Module | null | undefined;
/** The compiled module, or null where WebAssembly SIMD or shared memory is missing. */
export function spdModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try { compiled = new WebAssembly.Module(kernelBytes()); } catch { compiled = null; }
  }
  return compiled;
}

/** One thread's kernel over a memory: its function and its own 16-value scratch. */
export interface SpdKernel {
  buffer: ArrayBufferLike;
  dot44: (pa: number, pb: number, len: number, rb: number, out: number) => void;
  /** byte address and view of this thread's 4 x 4 sums */
  out: number;
  sums: Float64Array;
}

/** A shared memory of at least `bytes` after the header, or null (too large, or no support). */
export function spdMemory(bytes: number): WebAssembly.Memory | null {
  if (!spdModule()) return null;
  const pages = Math.ceil((HEADER_BYTES + bytes) / 65536);
  if (pages > 65536) return null;
  try { return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }); } catch { return null; }
}

/** Instantiates the kernel over `memory` for this thread, claiming a scratch slot. */
export function spdKernel(memory: WebAssembly.Memory, module: WebAssembly.Module | null = spdModule()): SpdKernel | null {
  if (!module) return null;
  const slot = Atomics.add(new Int32Array(memory.buffer, 0, 4), 0, 1);
  if (slot >= MAX_SLOTS) return null; // more threads than slots: this one uses the JavaScript loop
  const inst = new WebAssembly.Instance(module, { env: { mem: memory } });
  const out = 16 + slot * 128;
  return { buffer: memory.buffer, dot44: inst.exports.dot44 as SpdKernel['dot44'], out, sums: new Float64Array(memory.buffer, out, 16) };
}
