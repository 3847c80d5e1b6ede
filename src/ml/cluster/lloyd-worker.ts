// The k-means session on a pool thread (lloyd-pool.ts): park on the generation counter, take the
// job from the port synchronously, process blocks until none are left, report done; end on QUIT.
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { DONE, GEN, QUIT, READY, runBlocks, type LloydJob } from './lloyd-pool.ts';

export function session({ ctrl, port, slot }: { ctrl: Int32Array; port: MessagePort; slot: number }): void {
  let gen = Atomics.load(ctrl, GEN);
  Atomics.add(ctrl, READY, 1);
  Atomics.notify(ctrl, READY);
  for (;;) {
    // QUIT before parking: a pool closed before this thread took up its session (replaced, or
    // left unused, in the turn that made it) bumped GEN before gen was read, so parking on gen
    // would wait for ever, and the session's pending task would hold the process open
    if (Atomics.load(ctrl, QUIT)) break;
    Atomics.wait(ctrl, GEN, gen);
    gen = Atomics.load(ctrl, GEN);
    if (Atomics.load(ctrl, QUIT)) break;
    const m = receiveMessageOnPort(port);
    if (m) {
      const job = m.message as LloydJob & { nBlocks: number };
      runBlocks(job, ctrl, job.nBlocks, slot);
    }
    Atomics.add(ctrl, DONE, 1);
    Atomics.notify(ctrl, DONE);
  }
  port.close();
}
