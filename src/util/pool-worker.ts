// A thread of the process's pool (thread-pool.ts): imports the task modules it is asked for
// (once each, kept with whatever they keep per thread), runs one task at a time, marks itself
// idle in its shared state word (read by callers that cannot wait for messages) and replies.
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads';
import { unwrapTransfer } from './thread-pool.ts';
import { bundledEntry } from './workers.ts';

const IDLE = 0;
const state = new Int32Array((workerData as { state: Int32Array }).state.buffer);
const modules = new Map<string, Promise<Record<string, unknown>>>();
let chain: Promise<void> = Promise.resolve();

interface Task { id: number; module: string; fn: string; arg: unknown }

function load(href: string): Promise<Record<string, unknown>> {
  let m = modules.get(href);
  if (!m) {
    const url = new URL(href);
    m = import((bundledEntry(url) ?? url).href) as Promise<Record<string, unknown>>;
    modules.set(href, m);
  }
  return m;
}

async function handle(task: Task): Promise<void> {
  let reply: Record<string, unknown>, transfer: TransferListItem[] = [];
  try {
    const mod = await load(task.module);
    let value: unknown;
    if (task.fn) {
      const fn = mod[task.fn];
      if (typeof fn !== 'function') throw new Error(`${task.module} exports no function ${task.fn}`);
      ({ value, transfer } = unwrapTransfer(await (fn as (a: unknown) => unknown)(task.arg)));
    }
    reply = { id: task.id, value };
  } catch (e) {
    reply = { id: task.id, error: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
  }
  Atomics.store(state, 0, IDLE);
  Atomics.notify(state, 0);
  parentPort!.postMessage(reply, transfer);
}

parentPort!.on('message', (task: Task) => { chain = chain.then(() => handle(task)); });
Atomics.store(state, 0, IDLE);
Atomics.notify(state, 0);
parentPort!.postMessage({ ready: true });
