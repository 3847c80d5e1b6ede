// The inner kernel of the blocked SPD inverse (spd-inverse.ts's subDots) as WebAssembly SIMD:
// sixteen dot products of four rows of A with four rows of B (contiguous float64 segments of the
// same length), with f64x2 arithmetic, written as a 4 x 4 block of sums to a per-thread scratch
// slot. Scalar JavaScript spends most of its time on loads and bounds checks; this straight-line
// vector loop does the same work several times faster. The matrices live in one shared
// WebAssembly.Memory, so worker threads instantiate the kernel over the very same data.
//
// Layout of the memory: a header page (an atomic slot counter, then 4 x 4 float64 scratch per
// thread), then whatever the caller places (G and W for EASE).

import { KernelCache, ModuleBuilder, instantiate } from '../../util/wasm.ts';

/** Bytes of the header: slot counter (16 bytes), then MAX_SLOTS scratch blocks of 16 float64. */
export const MAX_SLOTS = 64;
export const HEADER_BYTES = 16 + MAX_SLOTS * 128;

/**
 * (func dot44 (pa pb len rb out)): out[r*4+s] = sum_{m < len} A(pa + r*rb)[m] * B(pb + s*rb)[m],
 * r, s < 4; byte pointers; rows are float64. The memory is shared, so worker threads run the
 * kernel over the same data.
 */
export function spdKernel44(): ModuleBuilder {
  const mod = new ModuleBuilder('spd-dot44', { min: 1, max: 65536, shared: true });
  mod.func('dot44', { pa: 'i32', pb: 'i32', len: 'i32', rb: 'i32', out: 'i32' }, (f, p) => {
    const m = f.local('i32', 'm'); // byte offset into the rows
    const end = f.local('i32', 'end');
    const aRow = f.locals('i32', 4, 'a'), bRow = f.locals('i32', 2, 'b');
    const acc = f.locals('v128', 8, 'acc'), x = f.locals('v128', 4, 'x'), y = f.locals('v128', 2, 'y');
    const t = f.local('f64', 'sum');
    for (let r = 0; r < 4; r++) f.get(p.pa).get(p.rb).i32(r).op('i32.mul', 'i32.add').set(aRow[r]!);
    f.comment('the vector loop ends at an even count of elements, in bytes');
    f.get(p.len).i32(-2).op('i32.and').i32(3).op('i32.shl').set(end);
    /** one vector step at byte offset `off` past m: eight running sums of two products */
    const step = (off: number) => {
      for (let r = 0; r < 4; r++) f.get(aRow[r]!).get(m).op('i32.add').mem('v128.load', off, 8).set(x[r]!);
      for (let q = 0; q < 2; q++) f.get(bRow[q]!).get(m).op('i32.add').mem('v128.load', off, 8).set(y[q]!);
      for (let q = 0; q < 2; q++) {
        for (let r = 0; r < 4; r++) {
          const a = acc[r * 2 + q]!;
          f.get(a).get(x[r]!).get(y[q]!).op('f64x2.mul', 'f64x2.add').set(a);
        }
      }
    };
    for (let half = 0; half < 2; half++) {
      f.comment(`b rows ${2 * half} and ${2 * half + 1}`);
      for (let s = 0; s < 2; s++) f.get(p.pb).get(p.rb).i32(2 * half + s).op('i32.mul', 'i32.add').set(bRow[s]!);
      for (const a of acc) f.v128zero().set(a);
      f.i32(0).set(m);
      f.comment('two vector steps per iteration, then one more if len % 4 >= 2');
      f.block((done) => f.loop((next) => {
        f.get(m).i32(32).op('i32.add').get(end).op('i32.gt_u').brIf(done);
        step(0); step(16);
        f.get(m).i32(32).op('i32.add').set(m);
        f.br(next);
      }));
      f.get(m).get(end).op('i32.lt_u').if_(() => step(0));
      f.comment('horizontal sums, the odd element, the store');
      for (let r = 0; r < 4; r++) {
        for (let s = 0; s < 2; s++) {
          const a = acc[r * 2 + s]!;
          f.get(a).lane('f64x2.extract_lane', 0).get(a).lane('f64x2.extract_lane', 1).op('f64.add').set(t);
          f.get(p.len).i32(1).op('i32.and').if_(() => {
            f.get(t).get(aRow[r]!).get(end).op('i32.add').mem('f64.load').get(bRow[s]!).get(end).op('i32.add').mem('f64.load');
            f.op('f64.mul', 'f64.add').set(t);
          });
          f.get(p.out).get(t).mem('f64.store', (r * 4 + 2 * half + s) * 8);
        }
      }
    }
  });
  return mod;
}

const cache = new KernelCache<'dot44'>();
/** The compiled module, or null where WebAssembly SIMD or shared memory is missing. */
export function spdModule(): WebAssembly.Module | null { return cache.get('dot44', spdKernel44); }

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
  const { dot44 } = instantiate<Pick<SpdKernel, 'dot44'>>(module, memory);
  const out = 16 + slot * 128;
  return { buffer: memory.buffer, dot44, out, sums: new Float64Array(memory.buffer, out, 16) };
}

/**
 * dot44 in plain TypeScript, in the kernel's order: per pair of rows, even and odd elements in
 * two running sums (one per SIMD lane), added, then the odd last element. A and B are float64
 * views; a and b element offsets of the first rows, rs the row stride in elements.
 */
export function dot44Twin(A: Float64Array, a: number, B: Float64Array, b: number, len: number, rs: number, out: Float64Array): void {
  const even = len & ~1;
  for (let r = 0; r < 4; r++) {
    for (let s = 0; s < 4; s++) {
      const ar = a + r * rs, bs = b + s * rs;
      let l0 = 0, l1 = 0;
      for (let m = 0; m < even; m += 2) { l0 = l0 + A[ar + m]! * B[bs + m]!; l1 = l1 + A[ar + m + 1]! * B[bs + m + 1]!; }
      let t = l0 + l1;
      if (len & 1) t = t + A[ar + even]! * B[bs + even]!;
      out[r * 4 + s] = t;
    }
  }
}
