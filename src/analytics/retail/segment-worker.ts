// Worker-thread entry for the segmentation's side tasks (segment-tasks.ts: t-SNE, a KMeans scan)
// when they get a thread of their own (segmentAside() in segments.ts). Message in: an id and a
// task; message out: the id and the result, or an error.
import { parentPort } from 'node:worker_threads';
import { runSegmentTask, type SegmentTask } from './segment-tasks.ts';

export type { SegmentTask } from './segment-tasks.ts';

parentPort!.on('message', (m: SegmentTask & { id: number }) => {
  try {
    parentPort!.postMessage({ id: m.id, ...runSegmentTask(m) });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
