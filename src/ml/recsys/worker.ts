// Recommender tasks for the thread pool (src/util/thread-pool.ts). Each thread holds views of
// SharedArrayBuffers set up by the main thread (nothing is copied per task) and runs ALS Gram
// chunks and row solves, or tasks of the blocked SPD inverse behind EASE.
import { gramChunk, makeScratch, solveRows, type FactorArray, type SideMatrix } from './als-kernel.ts';
import { gramWasm, instantiateAls, solveWasm, type AlsLayout, type AlsWasmFns } from './als-wasm.ts';
import { runSpdTask, SPD_BLOCK, useSpdKernel, type SpdTask } from './spd-inverse.ts';
import { spdKernel } from './spd-wasm.ts';
import { withTransfer } from '../../util/thread-pool.ts';

interface AlsJsInit { users: SideMatrix; items: SideMatrix; X: FactorArray; Y: FactorArray; f: number; cgSteps: number }
/** the WebAssembly kernel: everything lives in the shared arena; `slot` is this thread's scratch */
interface AlsWasmInit { wasm: { module: WebAssembly.Module; memory: WebAssembly.Memory; layout: AlsLayout; slot: number }; f: number; cgSteps: number }
type AlsInit = AlsJsInit | AlsWasmInit;
/** with `wasm`, G and W are views of that shared memory and the SIMD kernel does the dot products */
interface SpdInit { G: Float64Array; W: Float64Array; n: number; wasm?: { memory: WebAssembly.Memory; module: WebAssembly.Module } }
type Task =
  | { op: 'gram'; side: 'user' | 'item'; lo: number; hi: number }
  | { op: 'solve'; side: 'user' | 'item'; lo: number; hi: number; A?: Float64Array }
  | { op: 'spd'; task: SpdTask };

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

/** One ALS Gram chunk or row solve, or one task of the blocked SPD inverse. */
export function run(msg: Task): { gram?: Float64Array } {
  if (msg.op === 'spd') {
    runSpdTask(msg.task, spd!.G, spd!.W, spd!.n, T);
    return {};
  }
  if (als && 'wasm' in als) {
    const { memory, layout, slot } = als.wasm;
    if (msg.op === 'gram') {
      const out = gramWasm(fns!, layout, memory, msg.side, msg.lo, msg.hi, slot);
      return withTransfer({ gram: out }, [out.buffer as ArrayBuffer]); // a fresh, unshared copy
    }
    solveWasm(fns!, layout, msg.side, msg.lo, msg.hi, slot, als.cgSteps);
    return {};
  }
  const s = als as AlsJsInit;
  if (msg.op === 'gram') {
    const out = new Float64Array(s.f * s.f);
    gramChunk(msg.side === 'user' ? s.X : s.Y, s.f, msg.lo, msg.hi, out);
    return withTransfer({ gram: out }, [out.buffer]);
  }
  // solving users reads item factors, and the reverse
  if (msg.side === 'user') solveRows(s.users, s.X, s.Y, msg.A!, s.f, s.cgSteps, msg.lo, msg.hi, scratch!);
  else solveRows(s.items, s.Y, s.X, msg.A!, s.f, s.cgSteps, msg.lo, msg.hi, scratch!);
  return {};
}
