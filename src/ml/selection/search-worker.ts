// Runs hyper-parameter trials for search.ts: each message is one parameter set, cross-validated
// on the shared X / y, answered with its scores.
import { parentPort, workerData } from 'node:worker_threads';
import { crossValidate } from './cross-validate.ts';
import type { Split } from './splits.ts';

const { X: xb, y: yb, rows, cols, folds, kind, scoring } = workerData as {
  X: SharedArrayBuffer; y: SharedArrayBuffer; rows: number; cols: number; folds: Split[]; kind: string; scoring: string;
};
const X = { rows, cols, data: new Float64Array(xb) }, y = new Float64Array(yb);

parentPort!.on('message', (msg: { trial: number; params: Record<string, unknown> }) => {
  try {
    const r = crossValidate({ kind, params: msg.params }, X, y, folds, scoring);
    parentPort!.postMessage({ trial: msg.trial, ...r });
  } catch (e) {
    parentPort!.postMessage({ trial: msg.trial, error: (e as Error).message });
  }
});
