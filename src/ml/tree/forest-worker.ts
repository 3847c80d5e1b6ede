// Worker thread of forest training: receives the binned data once (its bytes live in a
// SharedArrayBuffer, so nothing is copied), then grows the trees it is asked for. Replies go
// through a MessagePort plus an Atomics counter, so a parent blocked in a synchronous fit()
// can wake up and read them with receiveMessageOnPort.
import { workerData, type MessagePort } from 'node:worker_threads';
import type { BinnedData } from './dataset.ts';
import { growForestTree, makeGrower, type ForestJob } from './forest.ts';
import type { TreeGrower } from './grower.ts';

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
let data: BinnedData | null = null;
let job: ForestJob | null = null;
let grower: TreeGrower | null = null;

function reply(msg: unknown, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

port.on('message', (msg: { init?: { data: BinnedData; job: ForestJob }; tree?: number }) => {
  try {
    if (msg.init) {
      data = msg.init.data; job = msg.init.job;
      grower = makeGrower(data, job);
      return;
    }
    if (msg.tree !== undefined) {
      const t = growForestTree(data!, job!, msg.tree, grower!);
      reply({ tree: msg.tree, flat: t }, [t.feature.buffer, t.threshold.buffer, t.left.buffer, t.right.buffer, t.value.buffer] as ArrayBuffer[]);
    }
  } catch (e) {
    reply({ tree: msg.tree ?? -1, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
reply({ ready: true });
