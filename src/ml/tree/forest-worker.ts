// The forest session on a pool thread (parallel.ts): claims trees from the forest's shared
// counter and grows them until none is left. The binned data's bytes live in a SharedArrayBuffer,
// so nothing is copied. Replies go through a MessagePort plus an Atomics counter, so a parent
// blocked in a synchronous fit() wakes up and reads them with receiveMessageOnPort.
import type { MessagePort } from 'node:worker_threads';
import type { BinnedData } from './dataset.ts';
import { ForestTreeMaker, type ForestJob } from './forest.ts';
import type { ForestReply } from './parallel.ts';

interface Session { port: MessagePort; signal: Int32Array; nTrees: number; data: BinnedData; job: ForestJob }

export function session({ port, signal, nTrees, data, job }: Session): void {
  const reply = (msg: ForestReply, transfer: ArrayBuffer[] = []): void => {
    port.postMessage(msg, transfer);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  let maker: ForestTreeMaker | null = null;
  let t = -1;
  try {
    for (t = Atomics.add(signal, 1, 1); t < nTrees; t = Atomics.add(signal, 1, 1)) {
      maker ??= new ForestTreeMaker(data, job);
      const flat = maker.tree(t);
      // a tree's arrays share one buffer (toFlatTree): each buffer is listed once
      const buffers = new Set([flat.feature.buffer, flat.threshold.buffer, flat.left.buffer, flat.right.buffer, flat.value.buffer]);
      reply({ tree: t, flat }, [...buffers] as ArrayBuffer[]);
    }
  } catch (e) {
    reply({ tree: t, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
}
