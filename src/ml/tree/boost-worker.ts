// The histogram-boosting session on a pool thread: executes the parent's batched commands on the
// parts >= its first part (histogram columns of a node, partition of a row block). It waits on a
// shared control block: spinning briefly, then sleeping in Atomics.wait (between trees, or
// while the parent grows trees alone because the thread was not paying off). Longer spins
// (0.3 ms) were tried: on the shared, loaded machine they doubled a parallel tree's time.
// The session ends on CMD.STOP, which may come before the data does (a fit that failed).
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { BinnedData } from './dataset.ts';
import { CMD, CTL, SHARDS, ShardWorker, type ShardArrays } from './shards.ts';

export function session({ ctl, port, first }: { ctl: Int32Array; port: MessagePort; first: number }): void {
  const stopped = () => Atomics.load(ctl, CTL.CMD) === CMD.STOP;
  // the parent starts us before binning and posts the binned data (shared memory) when it has it
  let init: { message: { data: BinnedData; arrays: ShardArrays } } | undefined;
  while (!(init = receiveMessageOnPort(port))) {
    if (stopped()) { port.close(); return; }
    Atomics.wait(ctl, CTL.INIT, 0, 20);
  }
  port.close();
  const { data, arrays } = init.message;
  const w = new ShardWorker(data, arrays, 1);
  Atomics.store(ctl, CTL.READY, 1);
  let last = 0;
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
}
