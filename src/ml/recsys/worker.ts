// Recommender tasks for the thread pool (src/util/thread-pool.ts). Each thread holds views of
// SharedArrayBuffers set up by the main thread (nothing is copied per task) and runs ALS Gram
// chunks and row solves, or tasks of the blocked SPD inverse behind EASE. An ALS half-step is one
// message per thread (halfStep): the threads claim its row ranges or Gram chunks from a shared
// counter, so a fit costs four message round trips per iteration, not one per range.
import { gramChunk, makeScratch, solveRows, type FactorArray, type SideMatrix } from './als-kernel.ts';
import { gramWasm, instantiateAls, solveWasm, type AlsLayout, type AlsWasmFns } from './als-wasm.ts';
import { runSpdTask, SPD_BLOCK, useSpdKernel, type SpdTask } from './spd-inverse.ts';
import { spdKernel } from './spd-wasm.ts';
import { withTransfer } from '../../util/thread-pool.ts';

/** `next`: the shared counter a half-step's tasks are claimed from (next[0] = the next task's index) */
interface AlsJsInit { users: SideMatrix; items: SideMatrix; X: FactorArray; Y: FactorArray; f: number; cgSteps: number; next: Int32Array }
/** the WebAssembly kernel: everything lives in the shared arena; `slot` is this thread's scratch */
interface AlsWasmInit {
  wasm: { module: WebAssembly.Module; memory: WebAssembly.Memory; layout: AlsLayout; slot: number }; f: number; cgSteps: number; next: Int32Array;
}
type AlsInit = AlsJsInit | AlsWasmInit;
/** with `wasm`, G and W are views of that shared memory and the SIMD kernel does the dot products */
interface SpdInit { G: Float64Array; W: Float64Array; n: number; wasm?: { memory: WebAssembly.Memory; module: WebAssembly.Module } }
/** One ALS half-step's tasks: Gram chunks or row solves over `ranges` (A: YtY + reg I, for the JavaScript kernel). */
export interface HalfStep { op: 'gram' | 'solve'; side: 'user' | 'item'; ranges: Array<[number, number]>; A?: Float64Array }

let als: AlsInit | null = null;
let fns: AlsWasmFns | undefined;
let scratch: ReturnType<typeof makeScratch> | undefined;
let spd: SpdInit | null = null;
const T = new Float64Array(SPD_BLOCK * SPD_BLOCK);

/** This thread's ALS set-up (null drops the views so the shared buffers can be freed). */
export function init(a: AlsInit | null): void {
  als = a;
  const w = als && 'wasm' in als ? als.wasm : undefined;
  fns = w ? instantiateAls(w.layout.f, w.layout.dtype, w.memory, w.module) : undefined;
  scratch = als && !w ? makeScratch(als.f) : undefined;
}

/** This thread's SPD-inverse set-up (null to drop it). */
export function spdInit(s: SpdInit | null): void {
  spd = s;
  useSpdKernel(spd?.wasm ? spdKernel(spd.wasm.memory, spd.wasm.module) : null);
}

/** One task of the blocked SPD inverse. */
export function run(msg: { op: 'spd'; task: SpdTask }): Record<string, never> {
  runSpdTask(msg.task, spd!.G, spd!.W, spd!.n, T);
  return {};
}

/**
 * This thread's share of an ALS half-step: tasks claimed one at a time from the shared counter
 * (reset by the main thread before it posts the half-step) until none is left, so a thread that
 * is slow or descheduled takes fewer. Which thread runs a task does not change its result; the
 * Gram chunks come back with their index and are summed in chunk order by the main thread.
 */
export function halfStep(h: HalfStep): { grams: Array<[number, Float64Array]> } {
  const next = als!.next;
  const grams: Array<[number, Float64Array]> = [];
  for (let k = Atomics.add(next, 0, 1); k < h.ranges.length; k = Atomics.add(next, 0, 1)) {
    const [lo, hi] = h.ranges[k]!;
    const g = alsTask(h.op, h.side, lo, hi, h.A);
    if (g) grams.push([k, g]);
  }
  return withTransfer({ grams }, grams.map(([, g]) => g.buffer as ArrayBuffer)); // fresh, unshared copies
}

/** One ALS Gram chunk (its f x f partial sum) or row solve (in place). */
function alsTask(op: 'gram' | 'solve', side: 'user' | 'item', lo: number, hi: number, A?: Float64Array): Float64Array | undefined {
  if (als && 'wasm' in als) {
    const { memory, layout, slot } = als.wasm;
    if (op === 'gram') return gramWasm(fns!, layout, memory, side, lo, hi, slot);
    solveWasm(fns!, layout, side, lo, hi, slot, als.cgSteps);
    return undefined;
  }
  const s = als as AlsJsInit;
  if (op === 'gram') {
    const out = new Float64Array(s.f * s.f);
    gramChunk(side === 'user' ? s.X : s.Y, s.f, lo, hi, out);
    return out;
  }
  // solving users reads item factors, and the reverse
  if (side === 'user') solveRows(s.users, s.X, s.Y, A!, s.f, s.cgSteps, lo, hi, scratch!);
  else solveRows(s.items, s.Y, s.X, A!, s.f, s.cgSteps, lo, hi, scratch!);
  return undefined;
}
