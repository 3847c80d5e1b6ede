// Grows the trees of a forest on the calling thread and threads of the process's pool (one
// thread per core by default), or inline when one thread is asked for. fit() is synchronous (the
// estimator contract), so the parent grows trees itself and then blocks in Atomics.wait for the
// trees its threads still grow, reading their replies with receiveMessageOnPort.
// Trees are claimed from one shared counter (Atomics.add), by the parent and every thread alike:
// nobody waits for a tree to be handed out. (Handing trees out from the parent between its own
// trees left a thread idle until the parent's tree ended: when the two ran at about the same pace
// the thread grew only every other round, a third of the forest instead of half.)
// The binned matrix and the target travel once per thread, in SharedArrayBuffers.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { FlatTree } from '../core/tree-model.ts';
import { threadPool } from '../../util/thread-pool.ts';
import { defaultThreads } from '../../util/workers.ts';
import type { BinnedData } from './dataset.ts';
import { ForestTreeMaker, type ForestJob } from './forest.ts';

const TASKS = new URL('./forest-worker.ts', import.meta.url);

/** What a forest thread replies: a tree, or an error on one. */
export type ForestReply = { tree: number; flat?: FlatTree; error?: string };

/**
 * threads - 1 pool threads and the calling thread grow the trees. The caller starts at once; a
 * thread joins whenever it is ready (a pool thread idle and loaded: at once; a new one: after
 * loading its modules, ~0.3 s on an idle machine, several seconds on a saturated one), so a
 * thread's start-up never delays the forest, and a thread that never starts only means the
 * caller grows more trees.
 */
export function growForest(data: BinnedData, job: ForestJob, nTrees: number, threads = defaultThreads()): FlatTree[] {
  const nw = Math.max(1, Math.min(threads, nTrees)) - 1;
  if (nw === 0) return growForestSync(data, job, nTrees);
  const shared: BinnedData = { ...data, bins: toShared(data.bins) };
  const sharedJob: ForestJob = { ...job, y: toShared(job.y) };
  // [0]: replies posted (the parent waits on it); [1]: the next tree to claim
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const out: FlatTree[] = new Array(nTrees);
  const ports: MessagePort[] = [];
  // idle threads, plus new ones that join once loaded
  const crew = threadPool().holdNow(nw, TASKS, { start: true });
  try {
    for (let k = 0; k < crew.size; k++) {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      crew.call(k, 'session', { port: port2, signal, nTrees, data: shared, job: sharedJob }, [port2]).catch(() => {});
    }
    let done = 0;
    const maker = new ForestTreeMaker(data, job);
    for (let t = Atomics.add(signal, 1, 1); t < nTrees; t = Atomics.add(signal, 1, 1)) { out[t] = maker.tree(t); done++; }
    while (done < nTrees) {
      const seen = Atomics.load(signal, 0);
      for (const port of ports) {
        let m: { message: ForestReply } | undefined;
        while ((m = receiveMessageOnPort(port))) {
          const msg = m.message;
          if (msg.error) throw new Error(`forest worker failed on tree ${msg.tree}: ${msg.error}`);
          out[msg.tree] = msg.flat!; done++;
        }
      }
      if (done < nTrees) Atomics.wait(signal, 0, seen, 1000);
    }
  } finally {
    // no tree left to claim: a thread ends its session after the tree it is growing (dropped
    // with its port when the forest failed)
    Atomics.store(signal, 1, nTrees);
    for (const p of ports) p.close();
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
