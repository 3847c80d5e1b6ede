// Worker-thread entry for the segmentation's t-SNE (exact, O(n^2) per iteration): it runs
// beside the KMeans scan on another core instead of after it. Message in: the feature matrix
// and TSNE params; message out: the embedded rows' indices and coordinates, or an error.
import { parentPort } from 'node:worker_threads';
import { TSNE, type TSNEParams } from '../../ml/decomposition/index.ts';

parentPort!.once('message', (m: { rows: number; cols: number; data: Float64Array; params: Partial<TSNEParams> }) => {
  try {
    const r = new TSNE(m.params).fitTransform({ rows: m.rows, cols: m.cols, data: m.data });
    parentPort!.postMessage({ indices: r.indices, data: r.embedding.data, rows: r.embedding.rows, cols: r.embedding.cols });
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
