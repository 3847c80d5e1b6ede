// Drift of many features at once: each feature's PSI and KS (two sorts and a merge) is one task
// on the process's thread pool, so the features spread over the cores; with one thread, or few
// rows, the features are computed inline.
import { threadPool } from '../util/thread-pool.ts';
import { defaultThreads } from '../util/workers.ts';
import { featureDrift, type DriftStats } from './drift.ts';

export interface FeatureDrift extends DriftStats { feature: string }

/** below this many values in all, worker start-up and copies cost more than they save */
const INLINE_BELOW = 200_000;
const TASKS = new URL('./drift-worker.ts', import.meta.url);

/** PSI and KS of every feature: ref[j] (the training snapshot) against cur[j] (recent data). */
export async function columnDrift(
  names: string[],
  ref: ArrayLike<number>[],
  cur: ArrayLike<number>[],
  opts: { threads?: number; bins?: number } = {},
): Promise<FeatureDrift[]> {
  if (ref.length !== names.length || cur.length !== names.length) {
    throw new Error(`columnDrift: ${names.length} names for ${ref.length} reference and ${cur.length} current columns`);
  }
  const threads = Math.min(opts.threads ?? defaultThreads(), names.length);
  const total = ref.reduce((s, c) => s + c.length, 0) + cur.reduce((s, c) => s + c.length, 0);
  if (threads <= 1 || total < INLINE_BELOW) return names.map((feature, j) => ({ feature, ...featureDrift(ref[j]!, cur[j]!, { bins: opts.bins }) }));
  const lane = threadPool().lane(threads);
  return Promise.all(names.map(async (feature, j) => {
    const stats = await lane.run<DriftStats>(TASKS, 'drift', { ref: toF64(ref[j]!), cur: toF64(cur[j]!), bins: opts.bins }, { label: `drift of ${feature}` });
    return { feature, ...stats };
  }));
}

function toF64(x: ArrayLike<number>): Float64Array {
  return x instanceof Float64Array ? x : Float64Array.from(x);
}
