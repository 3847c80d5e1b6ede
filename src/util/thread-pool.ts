// The process's one pool of worker threads, used by every numeric path: forests and boosting,
// k-means, ALS and EASE, drift, the retail pipeline's side work and searches. A task is an
// exported function of a task module (a `...-worker.ts` source, so the CLI bundle has an entry
// for it), run on a thread of the pool (pool-worker.ts) that imports the module once and keeps
// it, with whatever state the module keeps per thread.
// Three ways in, for three kinds of caller:
// - run()/lane()/map(): asynchronous tasks from a queue (drift, the retail side work);
// - hold(): threads held by one caller, loaded, with state set up per thread (ALS's slots,
//   a search's frame) and tasks spread over them;
// - holdNow(): for a synchronous fit() that blocks its own thread (trees, k-means): the threads
//   idle at this instant. Each thread's state word lives in shared memory and the thread itself
//   marks it idle, so a blocked caller reads it without its event loop; the session the caller
//   posts then talks to it through shared memory (Atomics) until the caller ends it.
// Why our own rather than piscina or tinypool: docs/decisions.md ("One worker pool").
import type { TransferListItem, Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createWorker, defaultThreads } from './workers.ts';

const IDLE = 0, BUSY = 1;
const ENTRY = new URL('./pool-worker.ts', import.meta.url);
const TRANSFER = Symbol.for('tributary.thread-pool.transfer');

/** A task's result with buffers to move rather than copy to the caller. */
export function withTransfer<T>(value: T, transfer: TransferListItem[]): T {
  return { [TRANSFER]: transfer, value } as unknown as T;
}

/** The worker side's unwrapping of withTransfer (pool-worker.ts). */
export function unwrapTransfer(out: unknown): { value: unknown; transfer: TransferListItem[] } {
  if (out && typeof out === 'object' && TRANSFER in out) {
    const o = out as { [TRANSFER]: TransferListItem[]; value: unknown };
    return { value: o.value, transfer: o[TRANSFER] };
  }
  return { value: out, transfer: [] };
}

interface Pending { resolve: (v: unknown) => void; reject: (e: Error) => void; label: string }
interface Queued { module: URL; fn: string; arg: unknown; transfer: TransferListItem[]; pending: Pending }

class PoolThread {
  /** IDLE or BUSY: the main thread sets BUSY as it posts a task, the thread sets IDLE as it ends one */
  readonly state = new Int32Array(new SharedArrayBuffer(4));
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  /** modules imported, or being imported by a task posted earlier */
  readonly modules = new Set<string>();
  held = false;
  dead = false;
  /** released by a synchronous caller while its session may still be ending */
  ending = false;

  constructor() {
    Atomics.store(this.state, 0, BUSY); // until the thread has loaded
    this.worker = createWorker(ENTRY, { workerData: { state: this.state } });
    this.worker.unref();
  }

  idle(): boolean { return !this.dead && !this.held && Atomics.load(this.state, 0) === IDLE; }
}

export class ThreadPool {
  private threads: PoolThread[] = [];
  private queue: Queued[] = [];
  private seq = 0;
  private readonly loaded = new Set<() => void>();
  /** warm() calls under way, per module: a loop of synchronous fits asks once, not once per fit */
  private readonly warming = new Map<string, Promise<void>>();
  /** tasks queued or on a thread, and the timer that holds the event loop while there are any */
  private outstanding = 0;
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  /** max: threads the pool may run at once (idle ones cost memory only: they do not hold the process open) */
  constructor(readonly max = Math.max(8, 4 * availableParallelism())) {}

  get size(): number { return this.threads.length; }

  /** Tasks queued or on a thread (each counted once, from run() or post() until it settles). */
  get outstandingTasks(): number { return this.outstanding; }

  /** Runs `fn` of `module` on an idle thread (a new one when none is, up to max), else on the next one free. */
  run<R>(module: URL, fn: string, arg?: unknown, opts: { transfer?: TransferListItem[]; label?: string } = {}): Promise<R> {
    return this.whileOutstanding(new Promise<R>((resolve, reject) => {
      const pending = { resolve: resolve as (v: unknown) => void, reject, label: opts.label ?? fn };
      this.queue.push({ module, fn, arg, transfer: opts.transfer ?? [], pending });
      this.drain();
    }));
  }

  /** A queue of its own with at most `concurrency` tasks on the pool at once (a caller's share of the cores). */
  lane(concurrency = defaultThreads()): Lane {
    return new Lane(this, Math.max(1, concurrency));
  }

  /** fn(arg) for every arg, at most `concurrency` at once; results in order. */
  map<R>(module: URL, fn: string, args: unknown[], concurrency = defaultThreads()): Promise<R[]> {
    const lane = this.lane(concurrency);
    return Promise.all(args.map((a) => lane.run<R>(module, fn, a)));
  }

  /** Starts threads until `n` are up and idle with `module` imported (ahead of a caller that will block). */
  warm(n: number, module?: URL): Promise<void> {
    const key = `${n} ${module?.href ?? ''}`;
    let w = this.warming.get(key);
    if (!w) {
      w = (async () => {
        const crew = await this.hold(n, module ?? ENTRY);
        try {
          if (module) await Promise.all(crew.threads.map((t) => this.post(t, module, '', undefined, [])));
        } finally {
          crew.release();
        }
      })().finally(() => this.warming.delete(key));
      this.warming.set(key, w);
    }
    return w;
  }

  /** `n` threads for this caller alone until release(), started when too few are idle, loaded. */
  async hold(n: number, module: URL): Promise<Crew> {
    const mine = this.takeIdle(n, null);
    const fresh: PoolThread[] = [];
    while (mine.length + fresh.length < n) fresh.push(this.start(true));
    await this.untilLoaded(fresh);
    return new Crew(this, [...mine, ...fresh], module);
  }

  /**
   * For a synchronous caller: up to `n` threads idle right now (with `module` imported when
   * `loaded`, so a session starts at once); `start` also starts new threads to make up `n`,
   * held and given their session once they load (for callers that go on without them). When
   * too few were idle, threads are started in the background for the next call.
   */
  holdNow(n: number, module: URL, opts: { loaded?: boolean; start?: boolean } = {}): Crew {
    const mine = this.takeIdle(n, opts.loaded ? module.href : null);
    while (opts.start && mine.length < n && this.threads.length < this.max) mine.push(this.start(true));
    if (mine.length < n && !opts.start) void this.warm(n, module).catch(() => {});
    return new Crew(this, mine, module);
  }

  /** Ends every thread (tests and benchmarks; idle threads never hold the process open). */
  async close(): Promise<void> {
    const all = this.threads;
    this.threads = [];
    for (const q of this.queue.splice(0)) q.pending.reject(new Error(`${q.pending.label}: the thread pool was closed`));
    await Promise.all(all.map((t) => { t.dead = true; return t.worker.terminate(); }));
  }

  /** @internal posts a task to a thread the caller owns (held, or found idle) */
  post(t: PoolThread, module: URL, fn: string, arg: unknown, transfer: TransferListItem[], label = fn): Promise<unknown> {
    return this.whileOutstanding(this.send(t, module, fn, arg, transfer, label));
  }

  /** The task on thread `t`, not counted as outstanding: its caller counts it (post, or run while it was queued). */
  private send(t: PoolThread, module: URL, fn: string, arg: unknown, transfer: TransferListItem[], label: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (t.dead) { reject(new Error(`${label}: its worker thread has ended`)); return; }
      const id = ++this.seq;
      t.pending.set(id, { resolve, reject, label });
      t.modules.add(module.href);
      Atomics.store(t.state, 0, BUSY);
      t.worker.ref();
      t.worker.postMessage({ id, module: module.href, fn, arg }, transfer);
    });
  }

  /**
   * Holds the event loop open until `task` settles. A busy thread is ref'd as well, but once in
   * some hundred CI runs a drift test's await was left pending by a loop that had run dry (its
   * threads unref'd, by our accounting or Node's); a timer per pool while any task is out holds
   * the loop whatever the worker's and its port's ref state at that instant.
   */
  private whileOutstanding<T>(task: Promise<T>): Promise<T> {
    if (this.outstanding++ === 0) this.keepAlive = setInterval(() => {}, 1 << 30);
    const done = () => { if (--this.outstanding === 0 && this.keepAlive) { clearInterval(this.keepAlive); this.keepAlive = null; } };
    task.then(done, done);
    return task;
  }

  /** @internal gives held threads back */
  giveBack(threads: PoolThread[], ending: boolean): void {
    for (const t of threads) { t.held = false; t.ending = ending; }
    this.drain();
  }

  private takeIdle(n: number, needs: string | null): PoolThread[] {
    const mine: PoolThread[] = [];
    for (const t of this.threads) {
      if (mine.length >= n) break;
      // a session just ended by a synchronous caller is finishing: wait for it a moment
      if (t.ending && !t.held && !t.dead && Atomics.load(t.state, 0) === BUSY) Atomics.wait(t.state, 0, BUSY, 5);
      if (t.idle() && (!needs || t.modules.has(needs))) { t.held = true; t.ending = false; mine.push(t); }
    }
    return mine;
  }

  private start(held: boolean): PoolThread {
    const t = new PoolThread();
    t.held = held;
    this.threads.push(t);
    t.worker.on('message', (m: { ready?: true; id?: number; value?: unknown; error?: string; stack?: string }) => {
      // the 'message' listener refs the worker (it holds the process while it loads, for the
      // tasks waiting on it); loaded with nothing to do, it must not: a thread started ahead for
      // the next fit would hold the process open for good
      if (m.ready) { if (!t.pending.size) t.worker.unref(); for (const f of this.loaded) f(); this.drain(); return; }
      const p = t.pending.get(m.id!);
      if (!p) return;
      t.pending.delete(m.id!);
      if (!t.pending.size) t.worker.unref();
      if (m.error !== undefined) p.reject(threadError(p.label, m.error, m.stack));
      else p.resolve(m.value);
      this.drain();
    });
    const fail = (e: Error) => {
      if (t.dead) return;
      t.dead = true;
      this.threads = this.threads.filter((x) => x !== t);
      for (const p of t.pending.values()) p.reject(new Error(`${p.label}: ${e.message}`));
      t.pending.clear();
      for (const f of this.loaded) f();
      this.drain();
    };
    t.worker.on('error', fail);
    t.worker.on('exit', (code) => fail(new Error(`worker thread exited (code ${code})`)));
    return t;
  }

  private untilLoaded(threads: PoolThread[]): Promise<void> {
    const up = () => threads.every((t) => t.dead || Atomics.load(t.state, 0) === IDLE);
    if (up()) return this.checkAlive(threads);
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!up()) return;
        this.loaded.delete(check);
        this.checkAlive(threads).then(resolve, reject);
      };
      this.loaded.add(check);
    });
  }

  private checkAlive(threads: PoolThread[]): Promise<void> {
    const dead = threads.filter((t) => t.dead);
    if (!dead.length) return Promise.resolve();
    for (const t of threads) if (!t.dead) t.held = false;
    return Promise.reject(new Error('a worker thread failed to start'));
  }

  private drain(): void {
    while (this.queue.length) {
      const t = this.threads.find((x) => x.idle() && x.modules.has(this.queue[0]!.module.href)) ?? this.threads.find((x) => x.idle());
      if (!t) {
        const starting = this.threads.filter((x) => !x.held && !x.dead && Atomics.load(x.state, 0) === BUSY && x.pending.size === 0).length;
        if (this.threads.length < this.max && starting < this.queue.length) this.start(false);
        return;
      }
      const q = this.queue.shift()!;
      // counted as outstanding since run() queued it
      this.send(t, q.module, q.fn, q.arg, q.transfer, q.pending.label).then(q.pending.resolve, q.pending.reject);
    }
  }
}

/** A caller's queue with at most `concurrency` of its tasks on the pool at once. */
export class Lane {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly pool: ThreadPool, readonly concurrency: number) {}

  async run<R>(module: URL, fn: string, arg?: unknown, opts: { transfer?: TransferListItem[]; label?: string } = {}): Promise<R> {
    if (this.running >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await this.pool.run<R>(module, fn, arg, opts);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

/** Threads held by one caller: tasks go to a chosen thread, to each, or spread over them. */
export class Crew {
  private released = false;
  constructor(private readonly pool: ThreadPool, readonly threads: PoolThread[], readonly module: URL) {}

  get size(): number { return this.threads.length; }

  /** fn(arg) on thread i of the crew (one task at a time per thread, the caller's to keep). */
  call<R>(i: number, fn: string, arg?: unknown, transfer: TransferListItem[] = []): Promise<R> {
    return this.pool.post(this.threads[i]!, this.module, fn, arg, transfer) as Promise<R>;
  }

  /** fn on every thread (set-up, tear-down); arg(i) for thread i. */
  broadcast<R>(fn: string, arg?: unknown | ((i: number) => unknown)): Promise<R[]> {
    return Promise.all(this.threads.map((_, i) => this.call<R>(i, fn, typeof arg === 'function' ? (arg as (i: number) => unknown)(i) : arg)));
  }

  /** fn(arg) for every arg, spread over the crew's threads as each becomes free; results in order. */
  map<R>(fn: string, args: unknown[]): Promise<R[]> {
    const out = new Array<R>(args.length);
    let next = 0;
    return Promise.all(this.threads.map(async (_, i) => {
      while (next < args.length) {
        const k = next++;
        out[k] = await this.call<R>(i, fn, args[k]);
      }
    })).then(() => out);
  }

  /**
   * Gives the threads back. `ending`: a synchronous caller has told its sessions to end (through
   * shared memory) and their threads mark themselves idle in a moment.
   */
  release(ending = false): void {
    if (this.released) return;
    this.released = true;
    this.pool.giveBack(this.threads, ending);
  }
}

/** A task's error as the caller's, naming the task, with the thread's stack kept for debugging. */
function threadError(label: string, message: string, stack?: string): Error {
  const e = new Error(`${label}: ${message}`);
  if (stack) e.stack = `${e.stack}\n  on the worker thread: ${stack}`;
  return e;
}

let shared: ThreadPool | null = null;

/** The process's pool. */
export function threadPool(): ThreadPool {
  return (shared ??= new ThreadPool());
}

/** Ends the process pool's threads (tests, benchmarks, commands that want their exit now). */
export async function closeThreadPool(): Promise<void> {
  const p = shared;
  shared = null;
  await p?.close();
}
