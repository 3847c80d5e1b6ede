// A drift worker: PSI and KS of one feature per message (src/monitoring/drift.ts).
import { parentPort } from 'node:worker_threads';
import { featureDrift } from './drift.ts';

parentPort!.on('message', (m: { id: number; ref?: Float64Array; cur?: Float64Array; bins?: number; ping?: boolean }) => {
  if (m.ping) { parentPort!.postMessage({ id: -1 }); return; }
  try {
    parentPort!.postMessage({ id: m.id, stats: featureDrift(m.ref!, m.cur!, { bins: m.bins }) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
