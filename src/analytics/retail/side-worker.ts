// The retail pipeline's side tasks (a lane of one on the thread pool): everything it computes
// beside the main thread's segmentation scans, one task after another: the t-SNE projection, the
// rolling-origin backtests of both revenue series, and the spend models' fits and scores. One
// lane, not one per kind of work: each thread costs its own start-up (tsx, its modules, their
// compilation), and with two cores the main thread and one side thread keep both busy. Inputs were read from the warehouse on the main thread (DuckDB
// stays there); results come back as plain data (the chosen spend model as its JSON).
import { TSNE } from '../../ml/decomposition/tsne.ts';
import { backtest, type BacktestOptions, type ForecastResult, type Series } from './forecast.ts';
import { fitSpend, type SpendData, type SpendResult } from './spend.ts';
import type { SegmentTask } from './segment-tasks.ts';

export type FitTask =
  | { task: 'forecast'; month: Series; week: Series; opts: BacktestOptions }
  | { task: 'spend'; data: SpendData; seed: number };

export type FitReply =
  | { task: 'forecast'; month: ForecastResult; week: ForecastResult }
  | { task: 'spend'; result: Omit<SpendResult, 'model'>; model: unknown };

/** The task itself (also what the pipeline runs inline when only one thread is allowed). */
export function runFitTask(m: FitTask, nJobs?: number): FitReply {
  if (m.task === 'forecast') return { task: 'forecast', month: backtest(m.month, m.opts), week: backtest(m.week, m.opts) };
  // one thread per task here: the forest is one job among several running at once, and
  // its trees do not depend on how many threads grow them
  const { model, ...result } = fitSpend(m.data, { seed: m.seed, nJobs: nJobs ?? 1 });
  return { task: 'spend', result, model: model.toJSON() };
}

export type SideTask = FitTask | SegmentTask;

/** The segmentation's t-SNE (segment-tasks.ts). */
function runSegment(m: SegmentTask): Record<string, unknown> {
  const r = new TSNE(m.params).fitTransform({ rows: m.rows, cols: m.cols, data: m.data });
  return { indices: r.indices, data: r.embedding.data, rows: r.embedding.rows, cols: r.embedding.cols };
}

/** One side task, as the thread pool runs it. */
export function run(m: SideTask): FitReply | Record<string, unknown> {
  return m.task === 'tsne' ? runSegment(m) : runFitTask(m);
}
