// The segmentation's task for the pipeline's side thread (side-worker.ts): the t-SNE projection
// (exact, O(n^2) per iteration), which needs nothing the KMeans scans produce. Plain data in and
// out (it travels by postMessage).
import type { TSNEParams } from '../../ml/decomposition/tsne.ts';

export type SegmentTask = { task: 'tsne'; rows: number; cols: number; data: Float64Array; params: Partial<TSNEParams> };
