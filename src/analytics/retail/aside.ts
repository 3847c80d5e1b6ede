// A worker thread that runs tasks one after another, for the retail pipeline's side computations
// (t-SNE, the log-RFM scan, backtests, spend fits). One thread for several tasks: each thread
// costs its own start-up (loading and compiling its modules), which on a busy machine is time
// taken from the work itself. Messages carry an id that the reply echoes. The thread starts on
// first use, holds the process open only while a task is pending, and close() ends it.
import type { Worker } from 'node:worker_threads';
import { createWorker } from '../../util/workers.ts';

interface Pending<R> { resolve: (r: R) => void; reject: (e: Error) => void; label: string }

export class Aside<Req extends object, Rep> {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly pending = new Map<number, Pending<Rep>>();

  constructor(private readonly entry: URL) {}

  /** Starts the thread now (its modules load while the caller does other work), idle until a task comes. */
  warm(): this {
    if (!this.worker) { this.worker = this.start(); this.worker.unref(); }
    return this;
  }

  run(msg: Req, label: string): Promise<Rep> {
    const w = (this.worker ??= this.start());
    const id = ++this.seq;
    const out = new Promise<Rep>((resolve, reject) => this.pending.set(id, { resolve, reject, label }));
    w.ref();
    w.postMessage({ ...msg, id });
    return out;
  }

  private start(): Worker {
    const w = createWorker(this.entry);
    w.on('message', (m: { id: number; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (!this.pending.size) w.unref();
      if (m.error !== undefined) p.reject(new Error(`${p.label}: ${m.error}`));
      else p.resolve(m as Rep);
    });
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => this.fail(new Error(`worker exited (code ${code})`)));
    return w;
  }

  private fail(e: Error): void {
    for (const p of this.pending.values()) p.reject(new Error(`${p.label}: ${e.message}`));
    this.pending.clear();
    this.worker = null;
  }

  close(): void {
    const w = this.worker;
    this.worker = null;
    if (w) { w.removeAllListeners(); void w.terminate(); }
    this.fail(new Error('closed'));
  }
}
