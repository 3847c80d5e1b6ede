// Grows the trees of a forest on the calling thread and threads of the process's pool (one
// thread per core by default), or inline when one thread is asked for. fit() is synchronous (the
// estimator contract), so the parent grows trees itself between polls of its threads' replies
// (receiveMessageOnPort) and, once none are left to hand out, blocks in Atomics.wait.
// The binned matrix and the target travel once per thread, in SharedArrayBuffers.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { FlatTree } from '../core/tree-model.ts';
import { threadPool } from '../../util/thread-pool.ts';
import { defaultThreads } from '../../util/workers.ts';
import type { BinnedData } from './dataset.ts';
import { ForestTreeMaker, type ForestJob } from './forest.ts';

const TASKS = new URL('./forest-worker.ts', import.meta.url);

/**
 * threads - 1 pool threads and the calling thread grow the trees. The caller starts at once and
 * a thread is handed a tree only once it has said it is ready, one at a time: a thread's start-up
 * (loading its modules, ~0.3 s on an idle machine, several seconds on a saturated one; none when
 * the pool has it idle already) then never delays the forest, and a thread that never starts only
 * means the caller grows more trees.
 */
export function growForest(data: BinnedData, job: ForestJob, nTrees: number, threads = defaultThreads()): FlatTree[] {
  const nw = Math.max(1, Math.min(threads, nTrees)) - 1;
  if (nw === 0) return growForestSync(data, job, nTrees);
  const shared: BinnedData = { ...data, bins: toShared(data.bins) };
  const sharedJob: ForestJob = { ...job, y: toShared(job.y) };
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const out: FlatTree[] = new Array(nTrees);
  const ports: MessagePort[] = [];
  // idle threads, plus new ones that join once loaded
  const crew = threadPool().holdNow(nw, TASKS, { start: true });
  let maker: ForestTreeMaker | null = null;
  try {
    for (let k = 0; k < nw; k++) {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      crew.call(k, 'session', { port: port2, signal }, [port2]).catch(() => {});
      port1.postMessage({ init: { data: shared, job: sharedJob } });
    }
    let next = 0, done = 0;
    while (done < nTrees) {
      const seen = Atomics.load(signal, 0);
      for (let k = 0; k < nw; k++) {
        let m: { message: { ready?: boolean; tree?: number; flat?: FlatTree; error?: string } } | undefined;
        while ((m = receiveMessageOnPort(ports[k]!))) {
          const msg = m.message;
          if (msg.error) throw new Error(`forest worker failed on tree ${msg.tree}: ${msg.error}`);
          if (!msg.ready) { out[msg.tree!] = msg.flat!; done++; }
          if (next < nTrees) ports[k]!.postMessage({ tree: next++ });
        }
      }
      if (next < nTrees) {
        maker ??= new ForestTreeMaker(data, job);
        out[next] = maker.tree(next);
        next++; done++;
      } else if (done < nTrees) {
        Atomics.wait(signal, 0, seen, 1000);
      }
    }
  } finally {
    // a session ends when its port closes (a tree it is growing is dropped)
    for (const p of ports) { p.postMessage({ stop: true }); p.close(); }
    crew.release(true);
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
