// The segmentation's independent heavy parts, as tasks a worker thread runs beside the main
// KMeans scan: the t-SNE projection (exact, O(n^2) per iteration) and a KMeans scan. Plain data
// in and out (they travel by postMessage). Run by segment-worker.ts (a thread of their own) and
// by side-worker.ts (the retail pipeline's one side thread, among the forecast and spend fits).
import { TSNE, type TSNEParams } from '../../ml/decomposition/index.ts';
import { scanK } from './segments.ts';

export type SegmentTask =
  | { task: 'tsne'; rows: number; cols: number; data: Float64Array; params: Partial<TSNEParams> }
  | { task: 'scan'; rows: number; cols: number; data: Float64Array; opts: { kRange?: [number, number]; nInit?: number; seed?: number } };

export function runSegmentTask(m: SegmentTask): Record<string, unknown> {
  const X = { rows: m.rows, cols: m.cols, data: m.data };
  if (m.task === 'tsne') {
    const r = new TSNE(m.params).fitTransform(X);
    return { indices: r.indices, data: r.embedding.data, rows: r.embedding.rows, cols: r.embedding.cols };
  }
  const r = scanK(X, m.opts);
  return { scan: r.scan, best: r.best };
}
