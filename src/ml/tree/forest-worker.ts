// The forest session on a pool thread (parallel.ts): receives the binned data once (its bytes
// live in a SharedArrayBuffer, so nothing is copied), then grows the trees it is asked for until
// told to stop. Replies go through a MessagePort plus an Atomics counter, so a parent blocked in a
// synchronous fit() can wake up and read them with receiveMessageOnPort.
import type { MessagePort } from 'node:worker_threads';
import type { BinnedData } from './dataset.ts';
import { ForestTreeMaker, type ForestJob } from './forest.ts';

type Msg = { init?: { data: BinnedData; job: ForestJob }; tree?: number; stop?: true };

export function session({ port, signal }: { port: MessagePort; signal: Int32Array }): Promise<void> {
  let maker: ForestTreeMaker | null = null;
  const reply = (msg: unknown, transfer: ArrayBuffer[] = []): void => {
    port.postMessage(msg, transfer);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  return new Promise((resolve) => {
    const end = () => { port.close(); resolve(); };
    port.on('close', end);
    port.on('message', (msg: Msg) => {
      if (msg.stop) { end(); return; }
      try {
        if (msg.init) {
          maker = new ForestTreeMaker(msg.init.data, msg.init.job);
          return;
        }
        if (msg.tree !== undefined) {
          const t = maker!.tree(msg.tree);
          // a tree's arrays share one buffer (toFlatTree): each buffer is listed once
          const buffers = new Set([t.feature.buffer, t.threshold.buffer, t.left.buffer, t.right.buffer, t.value.buffer]);
          reply({ tree: msg.tree, flat: t }, [...buffers] as ArrayBuffer[]);
        }
      } catch (e) {
        reply({ tree: msg.tree ?? -1, error: e instanceof Error ? e.stack ?? e.message : String(e) });
      }
    });
    reply({ ready: true });
  });
}
