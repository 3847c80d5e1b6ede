// Trials of a table search (search-table.ts) on the thread pool: the training frame is set once
// per thread, then each task is one trial, answered with its metrics.
import type { Frame } from '../core/frame.ts';
import { runTrialHere } from './search-table.ts';
import type { TrainOptions } from './train.ts';

let frame: Frame | null = null;

/** This thread's training frame (null when the search is over). */
export function setFrame(f: Frame | null): void { frame = f; }

export function trial(opts: TrainOptions): ReturnType<typeof runTrialHere> {
  return runTrialHere(frame!, opts);
}
