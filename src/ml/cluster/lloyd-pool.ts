// A synchronous thread pool for the Lloyd E-step. Workers park on Atomics.wait; the main thread
// posts a job to each worker's port, bumps a generation counter, then takes blocks of rows itself
// alongside the workers (blocks are handed out by an atomic counter, so a busy core does not stall
// the others) and blocks until every worker reports done. This keeps `fit()` synchronous, as the
// estimator contract wants, while the heavy loop runs on every core. Each block writes its partial
// sums to its own slot and the caller reduces them in block order, so results are identical
// whatever the thread count.
// Workers cannot start while the main thread is blocked, so the pool is started asynchronously
// (warmLloydPool, or in the background by the first fit) and used once it is ready.
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { createWorker } from '../../util/workers.ts';
import { assignRange, assignRangeBounded, BLOCK_ROWS, seedBlock, type CentreMoves, type SeedingJob } from './kernels.ts';
import { wasmAssignBlock, wasmBoundedBlock, type WasmJob } from './wasm-assign.ts';

export const GEN = 0, DONE = 1, READY = 2, NEXT = 3, QUIT = 4;

export interface LloydJob {
  X: Float64Array; labels: Int32Array; n: number; d: number; k: number;
  centers: Float64Array;
  /** nBlocks x (k*d + k + 2): sums, counts, inertia (plain) or rows scanned (bounded), labels changed */
  results: Float64Array;
  /** present for the bounded (Hamerly) E-step */
  bounds?: { upper: Float64Array; lower: Float64Array; geo: CentreMoves; first: boolean };
  /** present for a k-means++ seeding pass (see seedingPass in kernels.ts); centers/labels unused */
  seeding?: SeedingJob;
  /** present when X and labels live in a WebAssembly arena: the plain E-step runs the SIMD kernel
   *  (same results as assignRange), the bounded one its WebAssembly twin (bounds in the arena,
   *  the geometry written by setGeometry), with the thread's scratch slot */
  wasm?: WasmJob;
}

export function resultStride(k: number, d: number): number { return k * d + k + 2; }

/** slot: this thread's scratch slot in a WebAssembly arena (0 = the calling thread, w + 1 = worker w) */
export function runBlocks(job: LloydJob, ctrl: Int32Array, nBlocks: number, slot = 0): void {
  const { X, labels, n, d, k, centers, results, bounds } = job;
  const stride = resultStride(k, d);
  for (;;) {
    const b = Atomics.add(ctrl, NEXT, 1);
    if (b >= nBlocks) return;
    if (job.seeding) {
      const m = job.seeding.nCands;
      seedBlock(X, d, n, b, job.seeding, results.subarray(b * (m + 1), (b + 1) * (m + 1)), slot);
      continue;
    }
    const o = b * stride;
    if (job.wasm) {
      const start = b * BLOCK_ROWS, end = Math.min(n, start + BLOCK_ROWS), res = results.subarray(o, o + stride);
      if (bounds) wasmBoundedBlock(job.wasm, slot, start, end, bounds.first, res);
      else wasmAssignBlock(job.wasm, slot, start, end, res);
      continue;
    }
    const sums = results.subarray(o, o + k * d), counts = results.subarray(o + k * d, o + k * d + k);
    sums.fill(0); counts.fill(0);
    const start = b * BLOCK_ROWS, end = Math.min(n, start + BLOCK_ROWS);
    if (bounds) {
      const r = assignRangeBounded(X, d, start, end, centers, k, labels, bounds.upper, bounds.lower, bounds.geo, bounds.first, sums, counts);
      results[o + k * d + k] = r.scanned;
      results[o + k * d + k + 1] = r.changed;
    } else {
      const r = assignRange(X, d, start, end, centers, k, labels, sums, counts);
      results[o + k * d + k] = r.inertia;
      results[o + k * d + k + 1] = r.changed;
    }
  }
}

/** Runs every block on the calling thread (small n, threads = 1, or the pool not ready yet). */
export function runAllBlocksHere(job: LloydJob): void {
  runBlocks(job, new Int32Array(8), Math.ceil(job.n / BLOCK_ROWS));
}

class LloydPool {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(64));
  private workers: Worker[] = [];
  private ports: MessagePort[] = [];
  broken = false;
  ready = false;
  readonly started: Promise<void>;

  constructor(readonly nWorkers: number) {
    for (let w = 0; w < nWorkers; w++) {
      const { port1, port2 } = new MessageChannel();
      const worker = createWorker(new URL('./lloyd-worker.ts', import.meta.url), {
        workerData: { ctrl: this.ctrl.buffer, port: port2, slot: w + 1 }, transferList: [port2],
      });
      worker.unref();
      port1.unref();
      worker.on('error', () => { this.broken = true; });
      this.workers.push(worker);
      this.ports.push(port1);
    }
    this.started = (async () => {
      const deadline = Date.now() + 30000;
      while (Atomics.load(this.ctrl, READY) < nWorkers) {
        if (this.broken || Date.now() > deadline) { this.broken = true; this.close(); return; }
        await new Promise((r) => setTimeout(r, 5));
      }
      this.ready = true;
    })();
  }

  run(job: LloydJob): void {
    const nBlocks = Math.ceil(job.n / BLOCK_ROWS);
    const ctrl = this.ctrl;
    Atomics.store(ctrl, NEXT, 0);
    Atomics.store(ctrl, DONE, 0);
    for (const p of this.ports) p.postMessage({ ...job, nBlocks });
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    runBlocks(job, ctrl, nBlocks);
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= this.nWorkers) break;
      if (Atomics.wait(ctrl, DONE, done, 30000) === 'timed-out' && Atomics.load(ctrl, DONE) === done) {
        this.broken = true;
        throw new Error('k-means worker did not answer within 30 s');
      }
    }
  }

  close(): void {
    Atomics.store(this.ctrl, QUIT, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }
}

let shared: LloydPool | null = null;

function ensure(threads: number): LloydPool | null {
  if (threads <= 1) return null;
  if (shared && (shared.broken || shared.nWorkers !== threads - 1)) { shared.close(); shared = null; }
  if (!shared) shared = new LloydPool(threads - 1);
  return shared;
}

/** The pool with `threads - 1` workers if it is ready; otherwise starts it in the background and returns null. */
export function lloydPool(threads: number): LloydPool | null {
  const p = ensure(threads);
  return p && p.ready && !p.broken ? p : null;
}

/** Starts the pool and resolves once its workers are ready (false when threads cannot start). */
export async function warmLloydPool(threads: number): Promise<boolean> {
  const p = ensure(threads);
  if (!p) return false;
  await p.started;
  return p.ready && !p.broken;
}

/** Copies data into shared memory unless it already lives there. */
export function toShared(data: Float64Array): Float64Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const s = new Float64Array(new SharedArrayBuffer(data.byteLength));
  s.set(data);
  return s;
}

export function sharedOrLocalF64(n: number, shared: boolean): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
}

/** Runs a k-means++ seeding pass on the pool (the shape kmeansPlusPlus expects). */
export function poolSeedingRunner(pool: NonNullable<ReturnType<typeof lloydPool>>, X: Float64Array, n: number, d: number) {
  return (seeding: NonNullable<LloydJob['seeding']>, results: Float64Array): void => {
    pool.run({ X, labels: new Int32Array(0), n, d, k: 0, centers: new Float64Array(0), results, seeding });
  };
}
