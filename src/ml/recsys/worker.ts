// One recommender worker thread. It holds views of SharedArrayBuffers set up by the main thread
// (nothing is copied per task) and runs ALS Gram chunks and row solves, or tasks of the blocked
// SPD inverse behind EASE.
import { parentPort } from 'node:worker_threads';
import { gramChunk, makeScratch, solveRows, type FactorArray, type SideMatrix } from './als-kernel.ts';
import { gramWasm, instantiateAls, solveWasm, type AlsLayout, type AlsWasmFns } from './als-wasm.ts';
import { runSpdTask, SPD_BLOCK, useSpdKernel, type SpdTask } from './spd-inverse.ts';
import { spdKernel } from './spd-wasm.ts';

interface AlsJsInit { users: SideMatrix; items: SideMatrix; X: FactorArray; Y: FactorArray; f: number; cgSteps: number }
/** the WebAssembly kernel: everything lives in the shared arena; `slot` is this thread's scratch */
interface AlsWasmInit { wasm: { module: WebAssembly.Module; memory: WebAssembly.Memory; layout: AlsLayout; slot: number }; f: number; cgSteps: number }
type AlsInit = AlsJsInit | AlsWasmInit;
/** with `wasm`, G and W are views of that shared memory and the SIMD kernel does the dot products */
interface SpdInit { G: Float64Array; W: Float64Array; n: number; wasm?: { memory: WebAssembly.Memory; module: WebAssembly.Module } }
type Msg =
  | { ping: true }
  | { init: AlsInit | null }
  | { spdInit: SpdInit | null }
  | { id: number; op: 'gram'; side: 'user' | 'item'; lo: number; hi: number }
  | { id: number; op: 'solve'; side: 'user' | 'item'; lo: number; hi: number; A?: Float64Array }
  | { id: number; op: 'spd'; task: SpdTask };

let als: AlsInit | null = null;
let fns: AlsWasmFns | undefined;
let scratch: ReturnType<typeof makeScratch> | undefined;
let spd: SpdInit | null = null;
const T = new Float64Array(SPD_BLOCK * SPD_BLOCK);

parentPort!.on('message', (msg: Msg) => {
  if ('ping' in msg) { parentPort!.postMessage({ pong: true }); return; }
  if ('init' in msg) {
    als = msg.init;
    const w = als && 'wasm' in als ? als.wasm : undefined;
    fns = w ? instantiateAls(w.layout.f, w.layout.dtype, w.memory, w.module) : undefined;
    scratch = als && !w ? makeScratch(als.f) : undefined;
    parentPort!.postMessage({ ready: true });
    return;
  }
  if ('spdInit' in msg) {
    spd = msg.spdInit;
    useSpdKernel(spd?.wasm ? spdKernel(spd.wasm.memory, spd.wasm.module) : null);
    parentPort!.postMessage({ ready: true });
    return;
  }
  try {
    if (msg.op === 'spd') {
      runSpdTask(msg.task, spd!.G, spd!.W, spd!.n, T);
      parentPort!.postMessage({ id: msg.id });
    } else if (als && 'wasm' in als) {
      const { memory, layout, slot } = als.wasm;
      if (msg.op === 'gram') {
        const out = gramWasm(fns!, layout, memory, msg.side, msg.lo, msg.hi, slot);
        parentPort!.postMessage({ id: msg.id, gram: out }, [out.buffer as ArrayBuffer]); // a fresh, unshared copy
      } else {
        solveWasm(fns!, layout, msg.side, msg.lo, msg.hi, slot, als.cgSteps);
        parentPort!.postMessage({ id: msg.id });
      }
    } else if (msg.op === 'gram') {
      const s = als as AlsJsInit;
      const out = new Float64Array(s.f * s.f);
      gramChunk(msg.side === 'user' ? s.X : s.Y, s.f, msg.lo, msg.hi, out);
      parentPort!.postMessage({ id: msg.id, gram: out }, [out.buffer]);
    } else {
      const s = als as AlsJsInit;
      // solving users reads item factors, and the reverse
      if (msg.side === 'user') solveRows(s.users, s.X, s.Y, msg.A!, s.f, s.cgSteps, msg.lo, msg.hi, scratch!);
      else solveRows(s.items, s.Y, s.X, msg.A!, s.f, s.cgSteps, msg.lo, msg.hi, scratch!);
      parentPort!.postMessage({ id: msg.id });
    }
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: (e as Error).stack ?? String(e) });
  }
});
