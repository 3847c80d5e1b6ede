// The pool of recommender worker threads (ALS half-steps, EASE's blocked inverse).
import type { Worker } from 'node:worker_threads';
import { createWorker } from '../../util/workers.ts';

/**
 * Recommender worker threads taking tasks from one queue. Kept for the life of the process
 * (unref'd while idle, so it never holds the process open): tuning fits many models, and
 * starting workers costs more than a small fit.
 */
export class WorkerPool {
  private static pools = new Map<number, Promise<WorkerPool>>();
  private busy = false;
  private constructor(private workers: Worker[]) {}

  static get(n: number): Promise<WorkerPool> {
    let p = WorkerPool.pools.get(n);
    if (!p) {
      p = WorkerPool.start(n);
      WorkerPool.pools.set(n, p);
      p.catch(() => WorkerPool.pools.delete(n));
    }
    return p.then((pool) => {
      if (pool.busy) throw new Error('recsys: the worker pool is busy with another fit; run fits one after another');
      pool.busy = true;
      for (const w of pool.workers) w.ref();
      return pool;
    });
  }

  private static async start(n: number): Promise<WorkerPool> {
    const url = new URL('./worker.ts', import.meta.url);
    const workers = Array.from({ length: n }, () => createWorker(url));
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      // a ping answered means the worker module (and the TypeScript loader) is fully loaded
      w.once('error', reject);
      w.once('message', () => { w.off('error', reject); resolve(); });
      w.postMessage({ ping: true });
    })));
    const pool = new WorkerPool(workers);
    for (const w of workers) {
      w.on('error', () => WorkerPool.pools.delete(n));
      w.on('exit', () => WorkerPool.pools.delete(n));
    }
    return pool;
  }

  /** Sends one message to every worker (msg(i) for worker i) and waits for each one's reply (set-up, tear-down). */
  async broadcast(msg: Record<string, unknown> | ((worker: number) => unknown)): Promise<void> {
    await Promise.all(this.workers.map((w, i) => new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      w.once('error', onErr);
      w.once('message', () => { w.off('error', onErr); resolve(); });
      w.postMessage(typeof msg === 'function' ? msg(i) : msg);
    })));
  }

  release(): void {
    this.busy = false;
    for (const w of this.workers) w.unref();
  }

  run(tasks: Array<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
    const results = new Array<Record<string, unknown>>(tasks.length);
    let next = 0, done = 0;
    return new Promise((resolve, reject) => {
      if (tasks.length === 0) { resolve(results); return; }
      const cleanup: Array<() => void> = [];
      const finish = (err?: Error) => {
        for (const c of cleanup) c();
        if (err) reject(err); else resolve(results);
      };
      for (const w of this.workers) {
        const give = () => { if (next < tasks.length) { const id = next++; w.postMessage({ ...tasks[id], id }); } };
        const onMsg = (m: Record<string, unknown>) => {
          if (typeof m.error === 'string') { finish(new Error(`recsys worker: ${m.error}`)); return; }
          results[m.id as number] = m;
          if (++done === tasks.length) finish(); else give();
        };
        const onErr = (e: Error) => finish(e);
        w.on('message', onMsg); w.on('error', onErr);
        cleanup.push(() => { w.off('message', onMsg); w.off('error', onErr); });
        give();
      }
    });
  }
}
