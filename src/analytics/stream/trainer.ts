// The trainer's step: a random forest of income on age, refitted on a sliding window of the
// newest normalized records every N records or S seconds. Each fit is registered; it becomes the
// champion only when it is at least as good as the current champion on the same holdout (the
// window's newest fifth, which neither was fitted on), so a bad window never replaces a good model.
import { RandomForestRegressor } from '../../ml/tree/index.ts';
import { ColumnTransformer } from '../../ml/preprocessing/index.ts';
import { Pipeline } from '../../ml/pipeline/index.ts';
import { rmse } from '../../ml/metrics/index.ts';
import type { NormalizedPerson } from './records.ts';

export interface WindowTrainerOptions {
  /** records in the sliding window */
  window?: number;
  /** refit after this many new records */
  every?: number;
  /** or after this many seconds with at least one new record */
  intervalS?: number;
  trees?: number;
  maxDepth?: number;
  seed?: number;
}

export interface Fit {
  model: Pipeline;
  rows: number;
  /** RMSE of the new model on the holdout */
  rmse: number;
  /** RMSE of the current champion on the same holdout (null when there is none) */
  championRmse: number | null;
  /** the gate: better than (or as good as) the champion */
  promote: boolean;
}

/** Tolerance of the gate: a challenger within 1% of the champion's error counts as good as it. */
const GATE_TOLERANCE = 1.01;

export class WindowTrainer {
  private readonly age: Float64Array;
  private readonly income: Float64Array;
  private size = 0;
  private head = 0;
  private sinceFit = 0;
  private lastFitAt = Date.now();
  readonly opts: Required<WindowTrainerOptions>;

  constructor(opts: WindowTrainerOptions = {}) {
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.opts = { window: 2000, every: 500, intervalS: 10, trees: 50, maxDepth: 8, seed: 0, ...given };
    if (!(this.opts.window >= 20)) throw new Error(`window: at least 20 records, got ${this.opts.window}`);
    this.age = new Float64Array(this.opts.window);
    this.income = new Float64Array(this.opts.window);
  }

  get rows(): number { return this.size; }

  add(records: NormalizedPerson[]): void {
    for (const r of records) {
      this.age[this.head] = r.age;
      this.income[this.head] = r.income;
      this.head = (this.head + 1) % this.opts.window;
      this.size = Math.min(this.size + 1, this.opts.window);
    }
    this.sinceFit += records.length;
  }

  due(now = Date.now()): boolean {
    if (this.size < 20) return false;
    return this.sinceFit >= this.opts.every || (this.sinceFit > 0 && now - this.lastFitAt >= this.opts.intervalS * 1000);
  }

  /** The window's rows, oldest first. */
  private ordered(): { age: Float64Array; income: Float64Array } {
    const n = this.size, w = this.opts.window, start = n < w ? 0 : this.head;
    const age = new Float64Array(n), income = new Float64Array(n);
    for (let i = 0; i < n; i++) { age[i] = this.age[(start + i) % w]!; income[i] = this.income[(start + i) % w]!; }
    return { age, income };
  }

  /** Fits on this thread. */
  fit(champion?: FramePredictor): Fit {
    const { age, income } = this.take();
    return fitWindow(age, income, this.opts, champion);
  }

  /** The ages of the newest n records (at most the window's). */
  recentAges(n: number): Float64Array {
    const k = Math.min(n, this.size), w = this.opts.window, out = new Float64Array(k);
    for (let i = 0; i < k; i++) out[i] = this.age[(this.head - 1 - i + w) % w]!;
    return out;
  }

  /** The window as it is now (oldest first), for a fit elsewhere (a thread); restarts the refit count. */
  take(): { age: Float64Array; income: Float64Array } {
    this.sinceFit = 0;
    this.lastFitAt = Date.now();
    return this.ordered();
  }
}

type FramePredictor = { predict(frame: { length: number; columns: Map<string, Float64Array> }): Float64Array };

/** Fits the forest on the older 80% of a window (oldest first) and scores it, and the champion, on the newest 20%. */
export function fitWindow(age: Float64Array, income: Float64Array, opts: { trees: number; maxDepth: number; seed: number }, champion?: FramePredictor): Fit {
  const n = age.length, cut = Math.floor(n * 0.8);
  const frame = (a: Float64Array) => ({ length: a.length, columns: new Map<string, Float64Array>([['age', a]]) });
  const model = new Pipeline(
    new ColumnTransformer({ numeric: ['age'] }),
    new RandomForestRegressor({ nEstimators: opts.trees, maxDepth: opts.maxDepth, minSamplesLeaf: 5, seed: opts.seed, nJobs: 1 }),
    { task: 'regression' },
  ).fit(frame(age.subarray(0, cut)), income.subarray(0, cut));
  const hold = frame(age.slice(cut)), truth = income.slice(cut);
  const score = rmse(truth, model.predict(hold) as Float64Array);
  const championRmse = champion ? rmse(truth, champion.predict(hold)) : null;
  return { model, rows: cut, rmse: score, championRmse, promote: championRmse === null || score <= championRmse * GATE_TOLERANCE };
}
