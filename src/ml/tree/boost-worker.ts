// Worker thread of histogram boosting: executes the parent's batched commands on the parts >=
// its first part (histogram columns of a node, partition of a row block). It waits on a
// shared control block: spinning briefly, then sleeping in Atomics.wait (between trees, or
// while the parent grows trees alone because the worker was not paying off). Longer spins
// (0.3 ms) were tried: on the shared, loaded machine they doubled a parallel tree's time.
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import type { BinnedData } from './dataset.ts';
import { CMD, CTL, SHARDS, ShardWorker, type ShardArrays } from './shards.ts';

const { ctl, port, first } = workerData as { ctl: Int32Array; port: MessagePort; first: number };
// the parent starts us before binning and posts the binned data (shared memory) when it has it
let init: { message: { data: BinnedData; arrays: ShardArrays } } | undefined;
while (!(init = receiveMessageOnPort(port))) Atomics.wait(ctl, CTL.INIT, 0, 20);
port.close();
const { data, arrays } = init.message;
const w = new ShardWorker(data, arrays, 1);
Atomics.store(ctl, CTL.READY, 1);
let last = Atomics.load(ctl, CTL.SEQ);
for (;;) {
  let seq = Atomics.load(ctl, CTL.SEQ);
  for (let spin = 0; seq === last; spin++) {
    if (spin > 2000) Atomics.wait(ctl, CTL.SEQ, last, 50);
    seq = Atomics.load(ctl, CTL.SEQ);
  }
  last = seq;
  const cmd = Atomics.load(ctl, CTL.CMD);
  if (cmd === CMD.STOP) break;
  const count = ctl[CTL.NODE]!;
  for (let s = first; s < SHARDS; s++) w.exec(cmd, s, count);
  Atomics.store(ctl, CTL.DONE, seq);
  Atomics.notify(ctl, CTL.DONE);
}
