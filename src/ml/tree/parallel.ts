// Grows the trees of a forest on worker threads (one per core by default), or inline when one
// thread is asked for. fit() is synchronous (the estimator contract), so the parent blocks in
// Atomics.wait and reads replies with receiveMessageOnPort instead of using the event loop.
// The binned matrix and the target travel once per worker, in SharedArrayBuffers.
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { FlatTree } from '../core/tree-model.ts';
import { createWorker, defaultThreads } from '../../util/workers.ts';
import type { BinnedData } from './dataset.ts';
import { ForestTreeMaker, type ForestJob } from './forest.ts';

/** A worker that has not said "ready" within this time is considered broken. */
const STARTUP_MS = 20_000;

export function growForest(data: BinnedData, job: ForestJob, nTrees: number, threads = defaultThreads()): FlatTree[] {
  const nw = Math.max(1, Math.min(threads, nTrees));
  if (nw === 1) return growForestSync(data, job, nTrees);
  const shared: BinnedData = { ...data, bins: toShared(data.bins) };
  const sharedJob: ForestJob = { ...job, y: toShared(job.y) };
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const out: FlatTree[] = new Array(nTrees);
  const workers: Worker[] = [];
  const ports: MessagePort[] = [];
  const ready = new Uint8Array(nw);
  try {
    for (let k = 0; k < nw; k++) {
      const { port1, port2 } = new MessageChannel();
      workers.push(createWorker(new URL('./forest-worker.ts', import.meta.url), { workerData: { port: port2, signal }, transferList: [port2] }));
      ports.push(port1);
      port1.postMessage({ init: { data: shared, job: sharedJob } });
    }
    let next = 0, done = 0;
    for (let k = 0; k < nw && next < nTrees; k++) ports[k]!.postMessage({ tree: next++ });
    const t0 = Date.now();
    while (done < nTrees) {
      const seen = Atomics.load(signal, 0);
      let got = false;
      for (let k = 0; k < nw; k++) {
        let m: { message: { ready?: boolean; tree?: number; flat?: FlatTree; error?: string } } | undefined;
        while ((m = receiveMessageOnPort(ports[k]!))) {
          got = true;
          const msg = m.message;
          if (msg.ready) { ready[k] = 1; continue; }
          if (msg.error) throw new Error(`forest worker failed on tree ${msg.tree}: ${msg.error}`);
          out[msg.tree!] = msg.flat!;
          done++;
          if (next < nTrees) ports[k]!.postMessage({ tree: next++ });
        }
      }
      if (got) continue;
      if (Date.now() - t0 > STARTUP_MS && ready.some((r) => r === 0)) throw new Error('forest worker did not start (worker thread failed to load)');
      Atomics.wait(signal, 0, seen, 1000);
    }
  } finally {
    for (const p of ports) p.close();
    for (const w of workers) void w.terminate();
  }
  return out;
}

export function growForestSync(data: BinnedData, job: ForestJob, nTrees: number): FlatTree[] {
  const maker = new ForestTreeMaker(data, job);
  const out: FlatTree[] = [];
  for (let t = 0; t < nTrees; t++) out.push(maker.tree(t));
  return out;
}

function toShared<T extends Uint8Array | Float64Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const sab = new SharedArrayBuffer(a.byteLength);
  const c = new (a.constructor as { new (b: SharedArrayBuffer): T })(sab);
  c.set(a as never);
  return c;
}
