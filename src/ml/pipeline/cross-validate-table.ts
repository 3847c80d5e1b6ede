// Cross-validation of a whole training recipe on a table (`tributary train ... --cv K|time`):
// each fold fits a fresh pipeline (feature selection, encoder, model) on its training rows only,
// so nothing of a test fold (imputation means, scaling, categories) leaks into its model, and
// scores it on its test rows. K-fold is shuffled with the seed (stratified by class for
// classification); 'time' is an expanding-window split over the rows in time order.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { isNumeric, type Frame } from '../core/frame.ts';
import { dropColumns, getColumn, takeFrameRows } from '../data/frame-ops.ts';
import { KFold, StratifiedKFold, TimeSeriesSplit, type Split } from '../selection/splits.ts';
import { labelledRows, makePipeline, scoreTable, targetValues, type TrainOptions } from './train.ts';

export type CvSpec = number | 'time';

export interface FoldResult { fold: number; n_train: number; n_test: number; fit_s: number; metrics: Record<string, number> }
export interface CvSummary {
  cv: string;
  folds: FoldResult[];
  /** per metric: mean and (population) standard deviation over the folds */
  mean: Record<string, number>;
  std: Record<string, number>;
}

/** `--cv 5` or `--cv time` */
export function parseCv(text: string): CvSpec {
  if (text === 'time') return 'time';
  const k = Number(text);
  if (!Number.isInteger(k) || k < 2) throw new InvalidParameterError(`--cv must be an integer >= 2 (k-fold) or "time", got "${text}"`);
  return k;
}

/**
 * The folds over a frame's labelled rows. 'time' orders rows by `timeColumn` (or keeps the
 * table's order) and makes 5 expanding windows.
 */
export function tableFolds(frame: Frame, opts: TrainOptions, cv: CvSpec, timeColumn?: string): Split[] {
  const n = frame.length;
  if (cv === 'time') {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    if (timeColumn) {
      const c = getColumn(frame, timeColumn);
      if (!isNumeric(c)) throw new InvalidInputError(`--cv time: column "${timeColumn}" is not a date or number`);
      order.sort((a, b) => (c[a]! - c[b]!) || a - b);
    }
    return new TimeSeriesSplit(5).split(n).map((s) => ({ train: Int32Array.from(s.train, (i) => order[i]!), test: Int32Array.from(s.test, (i) => order[i]!) }));
  }
  if (opts.task === 'classification') {
    return new StratifiedKFold(cv, { shuffle: true, seed: opts.seed ?? 0 }).split(targetValues(frame, opts.target, 'classification') as string[]);
  }
  return new KFold(cv, { shuffle: true, seed: opts.seed ?? 0 }).split(n);
}

export function crossValidateTable(frame: Frame, opts: TrainOptions, cv: CvSpec, timeColumn?: string): CvSummary {
  const keep = labelledRows(frame, opts.target, opts.task);
  const data = keep.length < frame.length ? takeFrameRows(frame, keep) : frame;
  const folds = tableFolds(data, opts, cv, timeColumn ?? (cv === 'time' ? opts.dates?.[0] : undefined));
  const results: FoldResult[] = folds.map((f, k) => {
    const train = takeFrameRows(data, Array.from(f.train)), test = takeFrameRows(data, Array.from(f.test));
    const { pipeline } = makePipeline(train, opts);
    const t0 = performance.now();
    pipeline.fit(dropColumns(train, [opts.target]), targetValues(train, opts.target, opts.task));
    const fit_s = (performance.now() - t0) / 1000;
    const scores = scoreTable(pipeline, test, opts);
    const metrics: Record<string, number> = {};
    for (const [name, v] of Object.entries(scores)) if (typeof v === 'number') metrics[name] = v;
    return { fold: k, n_train: train.length, n_test: test.length, fit_s, metrics };
  });
  const names = Object.keys(results[0]!.metrics);
  const mean: Record<string, number> = {}, std: Record<string, number> = {};
  for (const m of names) {
    const v = results.map((r) => r.metrics[m]!);
    mean[m] = v.reduce((s, x) => s + x, 0) / v.length;
    std[m] = Math.sqrt(v.reduce((s, x) => s + (x - mean[m]!) ** 2, 0) / v.length);
  }
  return { cv: cv === 'time' ? 'time (5 expanding windows)' : `${cv}-fold${opts.task === 'classification' ? ' stratified' : ''}`, folds: results, mean, std };
}
