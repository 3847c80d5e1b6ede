// The stream trainer's side of its fit thread (trainer-worker.ts): starts it, hands it windows to
// fit and gets back what was registered and, when the gate passed, the promoted model.
import type { Worker } from 'node:worker_threads';
import { createWorker } from '../../util/workers.ts';
import type { TrainerThreadFit, TrainerThreadInit, TrainerThreadReply } from './trainer-worker.ts';

export class TrainerThread {
  private seq = 0;
  private dead: Error | null = null;
  private readonly waiting = new Map<number, { resolve(r: TrainerThreadReply): void; reject(e: Error): void }>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: TrainerThreadReply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      // an idle thread does not keep the process alive; one with work in hand does
      if (this.waiting.size === 0) worker.unref();
      if (m.error) w.reject(new Error(m.error)); else w.resolve(m);
    });
    const fail = (e: Error) => { this.dead = e; for (const w of this.waiting.values()) w.reject(e); this.waiting.clear(); };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the trainer's fit thread exited (code ${code})`)));
    worker.unref();
  }

  /** Starts the thread; resolves once it has opened the metadata database and loaded the champion. */
  static async start(opts: Omit<TrainerThreadInit, 'kind'>): Promise<TrainerThread> {
    const t = new TrainerThread(createWorker(new URL('./trainer-worker.ts', import.meta.url)));
    await t.call(0, { kind: 'init', ...opts } satisfies TrainerThreadInit);
    return t;
  }

  private call(id: number, msg: object, transfer: ArrayBuffer[] = []): Promise<TrainerThreadReply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(msg, transfer);
    });
  }

  /** Fits, registers and (when it beats the champion) promotes a model of this window. */
  fit(
    window: { age: Float64Array; income: Float64Array },
    opts: { trees: number; maxDepth: number; seed: number; window: number },
  ): Promise<TrainerThreadReply> {
    const id = ++this.seq;
    const msg: TrainerThreadFit = {
      kind: 'fit',
      id,
      age: window.age,
      income: window.income,
      trees: opts.trees,
      maxDepth: opts.maxDepth,
      seed: opts.seed,
      window: opts.window,
    };
    return this.call(id, msg, [window.age.buffer as ArrayBuffer, window.income.buffer as ArrayBuffer]);
  }

  async close(): Promise<void> {
    await this.call(-1, { kind: 'close' }).catch(() => {});
    await this.worker.terminate();
  }
}
