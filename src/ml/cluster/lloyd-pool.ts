// The Lloyd E-step on the process's thread pool, from a synchronous fit(). Idle pool threads are
// held and each runs a session (lloyd-worker.ts) that parks on a generation counter; the main
// thread posts a job to each thread's port, bumps the counter, then takes blocks of rows itself
// alongside the threads (blocks are handed out by an atomic counter, so a busy core does not
// stall the others) and blocks until every thread reports done. This keeps `fit()` synchronous,
// as the estimator contract wants, while the heavy loop runs on every core. Each block writes its
// partial sums to its own slot and the caller reduces them in block order, so results are
// identical whatever the thread count.
// A blocked caller cannot wait for threads to start, so fit() uses the threads idle and loaded
// at that moment (starting more in the background for the next fit; warmLloydPool awaits them).
// The sessions end once the caller's synchronous run is over (at the next turn of its event
// loop), so a loop of fits (a k scan) keeps them, and the threads go back to the pool after.
// One owner closes a pool: retire(), called by that end-of-turn callback or by a pool of another
// size replacing it, whichever comes first; close() runs once, and a closed pool refuses to run
// (its sessions have quit, so it would wait 30 s for no one).
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { threadPool, type Crew } from '../../util/thread-pool.ts';
import { assignRange, assignRangeBounded, BLOCK_ROWS, seedBlock, type CentreMoves, type SeedingJob } from './kernels.ts';
import { wasmAssignBlock, wasmBoundedBlock, type WasmJob } from './wasm-assign.ts';

const TASKS = new URL('./lloyd-worker.ts', import.meta.url);
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
  private readonly ports: MessagePort[] = [];
  readonly nWorkers: number;
  broken = false;
  private isClosed = false;

  /** settles once every thread's session has returned (its thread is the pool's again) */
  readonly ended: Promise<void>;

  constructor(private readonly crew: Crew, readonly wanted: number) {
    this.nWorkers = crew.size;
    const sessions: Promise<void>[] = [];
    for (let w = 0; w < crew.size; w++) {
      const { port1, port2 } = new MessageChannel();
      port1.unref();
      this.ports.push(port1);
      sessions.push(crew.call<void>(w, 'session', { ctrl: this.ctrl, port: port2, slot: w + 1 }, [port2]).catch(() => { this.broken = true; }));
    }
    this.ended = Promise.all(sessions).then(() => undefined);
  }

  get closed(): boolean { return this.isClosed; }

  run(job: LloydJob): void {
    if (this.isClosed) throw new Error('k-means thread pool used after it was closed (a pool lasts one turn of the event loop)');
    const nBlocks = Math.ceil(job.n / BLOCK_ROWS);
    const ctrl = this.ctrl;
    this.await(READY, 'start');
    Atomics.store(ctrl, NEXT, 0);
    Atomics.store(ctrl, DONE, 0);
    for (const p of this.ports) p.postMessage({ ...job, nBlocks });
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    runBlocks(job, ctrl, nBlocks);
    this.await(DONE, 'answer');
  }

  /** Blocks until every thread has counted itself in ctrl[at] (30 s at most). */
  private await(at: number, what: string): void {
    for (;;) {
      const seen = Atomics.load(this.ctrl, at);
      if (seen >= this.nWorkers) return;
      if (Atomics.wait(this.ctrl, at, seen, 30000) === 'timed-out' && Atomics.load(this.ctrl, at) === seen) {
        this.broken = true;
        throw new Error(`k-means worker thread did not ${what} within 30 s`);
      }
    }
  }

  /** Ends the sessions and gives the threads back, once (retire() is the caller). */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    Atomics.store(this.ctrl, QUIT, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const p of this.ports) p.close();
    this.crew.release(true);
  }
}

let current: LloydPool | null = null;

/** The one place a pool is closed: it stops being the current one and ends its sessions. */
function retire(pool: LloydPool): void {
  if (current === pool) current = null;
  pool.close();
}

/**
 * Up to `threads - 1` pool threads for the calling thread's synchronous run, or null when none is
 * idle and loaded (then more are started in the background for the next fit).
 */
export function lloydPool(threads: number): LloydPool | null {
  if (threads <= 1) return null;
  if (current && !current.broken && current.wanted === threads - 1) return current;
  const crew = threadPool().holdNow(threads - 1, TASKS, { loaded: true });
  if (crew.size === 0) { crew.release(); return null; }
  const pool = new LloydPool(crew, threads - 1);
  if (current) retire(current);
  current = pool;
  // unref'd, so it never holds the process; it still always runs, because until it does the
  // sessions' pending tasks keep their threads, and so the event loop, alive
  setImmediate(() => retire(pool)).unref();
  return pool;
}

/** Starts the pool's threads with the k-means module loaded; false when threads cannot start. */
export async function warmLloydPool(threads: number): Promise<boolean> {
  if (threads <= 1) return false;
  try {
    await threadPool().warm(threads - 1, TASKS);
    return true;
  } catch {
    return false;
  }
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
