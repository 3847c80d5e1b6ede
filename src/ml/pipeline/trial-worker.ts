// Worker thread of a table search (search-table.ts): holds the training frame (sent once) and
// runs the trials it is given, answering each with its metrics.
import { parentPort, workerData } from 'node:worker_threads';
import type { Frame } from '../core/frame.ts';
import { runTrialHere } from './search-table.ts';
import type { TrainOptions } from './train.ts';

const { frame } = workerData as { frame: Frame };

parentPort!.on('message', (msg: { k: number; opts: TrainOptions }) => {
  parentPort!.postMessage({ k: msg.k, ...runTrialHere(frame, msg.opts) });
});
