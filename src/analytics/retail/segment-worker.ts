// Worker-thread entry for the segmentation's independent heavy parts, so they run on another
// core beside the main KMeans scan: the t-SNE projection (exact, O(n^2) per iteration) and the
// log-RFM-only KMeans scan compared with scikit-learn, one after the other (see aside.ts).
// Message in: an id, a task, the feature matrix and its options; message out: the id and the
// result, or an error.
import { parentPort } from 'node:worker_threads';
import { TSNE, type TSNEParams } from '../../ml/decomposition/index.ts';
import { scanK } from './segments.ts';

export type SegmentTask =
  | { task: 'tsne'; rows: number; cols: number; data: Float64Array; params: Partial<TSNEParams> }
  | { task: 'scan'; rows: number; cols: number; data: Float64Array; opts: { kRange?: [number, number]; nInit?: number; seed?: number } };

parentPort!.on('message', (m: SegmentTask & { id: number }) => {
  try {
    const X = { rows: m.rows, cols: m.cols, data: m.data };
    if (m.task === 'tsne') {
      const r = new TSNE(m.params).fitTransform(X);
      parentPort!.postMessage({ id: m.id, indices: r.indices, data: r.embedding.data, rows: r.embedding.rows, cols: r.embedding.cols });
    } else {
      const r = scanK(X, m.opts);
      parentPort!.postMessage({ id: m.id, scan: r.scan, best: r.best });
    }
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
