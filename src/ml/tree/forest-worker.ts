// Worker thread of forest training: receives the binned data once (its bytes live in a
// SharedArrayBuffer, so nothing is copied), then grows the trees it is asked for. Replies go
// through a MessagePort plus an Atomics counter, so a parent blocked in a synchronous fit()
// can wake up and read them with receiveMessageOnPort.
import { workerData, type MessagePort } from 'node:worker_threads';
import type { BinnedData } from './dataset.ts';
import { ForestTreeMaker, type ForestJob } from './forest.ts';

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
let maker: ForestTreeMaker | null = null;

function reply(msg: unknown, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

port.on('message', (msg: { init?: { data: BinnedData; job: ForestJob }; tree?: number }) => {
  try {
    if (msg.init) {
      maker = new ForestTreeMaker(msg.init.data, msg.init.job);
      return;
    }
    if (msg.tree !== undefined) {
      const t = maker!.tree(msg.tree);
      // a tree's arrays share one buffer (toFlatTree): each buffer is listed once
      reply({ tree: msg.tree, flat: t }, [...new Set([t.feature.buffer, t.threshold.buffer, t.left.buffer, t.right.buffer, t.value.buffer])] as ArrayBuffer[]);
    }
  } catch (e) {
    reply({ tree: msg.tree ?? -1, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
reply({ ready: true });
