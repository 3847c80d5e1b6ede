// Drift of many features at once: each feature's PSI and KS (two sorts and a merge) runs on one
// of the worker threads, one feature per task, so the features spread over the cores. The pool
// lives for the process (unref'd while idle, so it never holds the process open); with one
// thread, or few rows, the features are computed inline.
import type { Worker } from 'node:worker_threads';
import { createWorker, defaultThreads } from '../util/workers.ts';
import { featureDrift, type DriftStats } from './drift.ts';

export interface FeatureDrift extends DriftStats { feature: string }

/** below this many values in all, worker start-up and copies cost more than they save */
const INLINE_BELOW = 200_000;

let pool: Promise<Worker[]> | undefined;
let poolSize = 0;

function workers(n: number): Promise<Worker[]> {
  if (pool && poolSize === n) return pool;
  poolSize = n;
  pool = Promise.all(Array.from({ length: n }, () => new Promise<Worker>((resolve, reject) => {
    const w = createWorker(new URL('./drift-worker.ts', import.meta.url));
    w.once('error', reject);
    w.once('message', () => { w.off('error', reject); w.unref(); resolve(w); });
    w.postMessage({ ping: true });
  })));
  pool.catch(() => { pool = undefined; });
  return pool;
}

/** Stops the worker threads (benchmarks and tests; the pool is otherwise unref'd). */
export async function closeDriftPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await Promise.all((await p).map((w) => w.terminate()));
}

/** PSI and KS of every feature: ref[j] (the training snapshot) against cur[j] (recent data). */
export async function columnDrift(names: string[], ref: ArrayLike<number>[], cur: ArrayLike<number>[], opts: { threads?: number; bins?: number } = {}): Promise<FeatureDrift[]> {
  if (ref.length !== names.length || cur.length !== names.length) throw new Error(`columnDrift: ${names.length} names for ${ref.length} reference and ${cur.length} current columns`);
  const threads = Math.min(opts.threads ?? defaultThreads(), names.length);
  const total = ref.reduce((s, c) => s + c.length, 0) + cur.reduce((s, c) => s + c.length, 0);
  if (threads <= 1 || total < INLINE_BELOW) return names.map((feature, j) => ({ feature, ...featureDrift(ref[j]!, cur[j]!, { bins: opts.bins }) }));
  const ws = await workers(threads);
  const out = new Array<FeatureDrift>(names.length);
  let next = 0;
  await Promise.all(ws.map((w) => new Promise<void>((resolve, reject) => {
    const give = () => {
      if (next >= names.length) { w.off('message', onMsg); w.off('error', reject); w.unref(); resolve(); return; }
      const j = next++;
      w.postMessage({ id: j, ref: toF64(ref[j]!), cur: toF64(cur[j]!), bins: opts.bins });
    };
    const onMsg = (m: { id: number; stats?: DriftStats; error?: string }) => {
      if (m.error) { w.off('message', onMsg); reject(new Error(`drift of ${names[m.id]}: ${m.error}`)); return; }
      out[m.id] = { feature: names[m.id]!, ...m.stats! };
      give();
    };
    w.ref();
    w.on('message', onMsg);
    w.once('error', reject);
    give();
  })));
  return out;
}

function toF64(x: ArrayLike<number>): Float64Array {
  return x instanceof Float64Array ? x : Float64Array.from(x);
}
