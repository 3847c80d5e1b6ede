// Hyper-parameter search of a training recipe on a table (`tributary train ... --search`):
// the candidate list (grid: every combination; random: a seeded sample of them, without
// repeats, as scikit-learn's ParameterSampler over lists) from ml/selection, and the trials run
// in parallel on worker threads, each a full trainTable() on a seeded validation split of the
// training rows. The caller records each trial (as a child run) from the results.
import { InvalidParameterError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { Frame } from '../core/frame.ts';
import { threadPool } from '../../util/thread-pool.ts';
import { defaultThreads } from '../../util/workers.ts';

const TRIAL_TASKS = new URL('./trial-worker.ts', import.meta.url);
import { parameterGrid } from '../selection/search.ts';
import { trainTable, type TrainOptions, type TrainResult } from './train.ts';

export type SearchMode = 'grid' | 'random';

/** The trials of a search space: all of the grid, or nTrials of it drawn with the seed. */
export function planTrials(space: Record<string, unknown[]>, mode: SearchMode, nTrials: number | undefined, seed: number): Record<string, unknown>[] {
  const grid = parameterGrid(space);
  if (mode === 'grid') return grid;
  if (mode !== 'random') throw new InvalidParameterError(`--search mode must be grid or random, got ${JSON.stringify(mode)}`);
  const n = nTrials ?? 10;
  if (!Number.isInteger(n) || n < 1) throw new InvalidParameterError(`--trials must be an integer >= 1, got ${n}`);
  const order = new Rng(seed).shuffle(Int32Array.from(grid, (_, i) => i));
  return Array.from(order.subarray(0, Math.min(n, grid.length)), (i) => grid[i]!);
}

export interface TrialResult { params: Record<string, unknown>; result?: TrainResult; error?: string; seconds: number }

function runOne(frame: Frame, opts: TrainOptions): Omit<TrialResult, 'params'> {
  const t = performance.now();
  try {
    // validation = a seeded split of the training rows (trainTable without a test frame)
    const { result } = trainTable(frame, null, opts);
    return { result, seconds: (performance.now() - t) / 1000 };
  } catch (e) {
    return { error: (e as Error).message, seconds: (performance.now() - t) / 1000 };
  }
}

/**
 * Runs every trial (base options + the trial's) on `threads` worker threads (default one per
 * core; 1 = this thread). Results come back in trial order whatever thread ran them, and each
 * model is single-threaded inside its trial, so a trial's result does not depend on the others.
 */
export async function runTrials(frame: Frame, base: TrainOptions, trials: Record<string, unknown>[], threads = defaultThreads()): Promise<TrialResult[]> {
  const optsOf = (t: Record<string, unknown>): TrainOptions => ({ ...base, ...t, threads: 1 });
  const nw = Math.min(threads, trials.length);
  if (nw <= 1) return trials.map((params) => ({ params, ...runOne(frame, optsOf(params)) }));
  const crew = await threadPool().hold(nw, TRIAL_TASKS);
  try {
    await crew.broadcast('setFrame', frame);
    const done = await crew.map<Omit<TrialResult, 'params'>>('trial', trials.map(optsOf));
    return done.map((r, k) => ({ params: trials[k]!, ...r }));
  } finally {
    await crew.broadcast('setFrame', null).catch(() => {});
    crew.release();
  }
}

export { runOne as runTrialHere };
