// Train-and-evaluate on a table: the work behind `tributary train regression|classification`.
// Encodes the frame (impute + one-hot), fits the chosen model, scores it on the test frame (or a
// seeded 80/20 split), and returns the metrics together with the fitted Pipeline, so callers
// (CLI, tracking, registry) can record the run and keep the model.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { isNumeric, type Frame } from '../core/frame.ts';
import { dropColumns, getColumn, takeFrameRows } from '../data/frame-ops.ts';
import { LinearRegression, LogisticRegression, Ridge } from '../linear/index.ts';
import { accuracy, logLoss, mae, r2, rmse, rocAuc } from '../metrics/index.ts';
import { defaultEncoder } from '../preprocessing/index.ts';
import { trainTestSplit } from '../selection/splits.ts';
import { GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor } from '../tree/index.ts';
import { Pipeline, type Task } from './pipeline.ts';

export const REGRESSION_MODELS = ['linear', 'ridge', 'random-forest', 'gbdt'] as const;
export const CLASSIFICATION_MODELS = ['logistic', 'linear', 'random-forest', 'gbdt'] as const;

export interface TrainOptions {
  task: Task;
  target: string;
  model: string;
  /** random-forest trees (default 100) */
  trees?: number;
  /** boosting rounds (default 100) */
  rounds?: number;
  /** tree depth; default: unlimited for forests, 6 for boosting */
  depth?: number;
  /** ridge alpha / 1 / C of logistic regression */
  alpha?: number;
  learningRate?: number;
  seed?: number;
  /** rows held out when there is no test frame */
  testSize?: number;
}

export interface RegressionResult { task: 'regression'; model: string; fit_s: number; rmse: number; mae: number; r2: number; n_train: number; n_test: number; n_features: number; n_dropped: number }
export interface ClassificationResult { task: 'classification'; model: string; fit_s: number; accuracy: number; log_loss: number; auc: number; classes: string[]; n_train: number; n_test: number; n_features: number; n_dropped: number }
export type TrainResult = RegressionResult | ClassificationResult;

export function makeModel(opts: TrainOptions): any {
  const seed = opts.seed ?? 0;
  const forest = { nEstimators: opts.trees ?? 100, maxDepth: opts.depth ?? 0, seed };
  const boost = { nEstimators: opts.rounds ?? 100, maxDepth: opts.depth ?? 6, learningRate: opts.learningRate ?? 0.1, seed };
  if (opts.task === 'regression') {
    switch (opts.model) {
      case 'linear': return new LinearRegression();
      case 'ridge': return new Ridge({ alpha: opts.alpha ?? 1 });
      case 'random-forest': return new RandomForestRegressor(forest);
      case 'gbdt': return new GradientBoostingRegressor(boost);
    }
    throw new InvalidParameterError(`unknown regression model "${opts.model}" (choose ${REGRESSION_MODELS.join(', ')})`);
  }
  switch (opts.model) {
    case 'logistic': case 'linear': return new LogisticRegression({ C: opts.alpha ?? 1 });
    case 'random-forest': return new RandomForestClassifier(forest);
    case 'gbdt': return new GradientBoostingClassifier(boost);
  }
  throw new InvalidParameterError(`unknown classification model "${opts.model}" (choose ${CLASSIFICATION_MODELS.join(', ')})`);
}

/** Rows whose target is present (regression: a finite number; classification: a non-null label). */
function labelledRows(frame: Frame, target: string, task: Task): number[] {
  const c = getColumn(frame, target);
  const keep: number[] = [];
  for (let i = 0; i < frame.length; i++) {
    const v = c[i];
    if (task === 'regression') { if (isNumeric(c) ? Number.isFinite(v as number) : v !== null && v !== '' && Number.isFinite(Number(v))) keep.push(i); }
    else if (v !== null && !(typeof v === 'number' && Number.isNaN(v))) keep.push(i);
  }
  return keep;
}

function targetValues(frame: Frame, target: string, task: Task): Float64Array | string[] {
  const c = getColumn(frame, target);
  if (task === 'regression') return isNumeric(c) ? c : Float64Array.from(c, Number);
  return Array.from(c as ArrayLike<string | number | null>, (v) => String(v));
}

export function trainTable(trainFrame: Frame, testFrame: Frame | null, opts: TrainOptions): { result: TrainResult; pipeline: Pipeline } {
  const { task, target } = opts;
  const model = makeModel(opts);
  let train = trainFrame, test = testFrame;
  const keep = labelledRows(train, target, task);
  let dropped = train.length - keep.length;
  if (keep.length < train.length) train = takeFrameRows(train, keep);
  if (test) {
    const k2 = labelledRows(test, target, task);
    dropped += test.length - k2.length;
    if (k2.length < test.length) test = takeFrameRows(test, k2);
  } else {
    const s = trainTestSplit(train.length, { testSize: opts.testSize ?? 0.2, seed: opts.seed ?? 0 });
    test = takeFrameRows(train, s.test);
    train = takeFrameRows(train, s.train);
  }
  if (train.length < 2 || test.length < 1) throw new InvalidInputError(`not enough labelled rows: ${train.length} to train, ${test.length} to test`);
  const encoder = defaultEncoder(train, { target });
  const pipeline = new Pipeline(encoder, model, { task });
  const yTrain = targetValues(train, target, task);
  const t0 = performance.now();
  pipeline.fit(dropColumns(train, [target]), yTrain);
  const fit_s = (performance.now() - t0) / 1000;
  const Xtest = dropColumns(test, [target]);
  const common = { model: opts.model, fit_s, n_train: train.length, n_test: test.length, n_features: encoder.nFeatures, n_dropped: dropped };
  if (task === 'regression') {
    const y = targetValues(test, target, task) as Float64Array;
    const p = pipeline.predict(Xtest);
    return { pipeline, result: { task, ...common, rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p) } };
  }
  const classes = pipeline.classes;
  const index = new Map(classes.map((c, k) => [c, k]));
  const labels = targetValues(test, target, task) as string[];
  const unseen = labels.find((l) => !index.has(l));
  if (unseen !== undefined) throw new InvalidInputError(`test label "${unseen}" of "${target}" never occurs in the training rows (classes: ${classes.join(', ')})`);
  const y = Float64Array.from(labels, (l) => index.get(l)!);
  const proba = pipeline.predictProba(Xtest);
  const pred = pipeline.predict(Xtest);
  const present = new Set(y).size;
  return {
    pipeline,
    result: { task, ...common, accuracy: accuracy(y, pred), log_loss: logLoss(y, proba), auc: present === classes.length ? rocAuc(y, proba) : NaN, classes },
  };
}
