// Train-and-evaluate on a table: the work behind `tributary train regression|classification`.
// Encodes the frame (impute + one-hot), fits the chosen model, scores it on the test frame (or a
// seeded 80/20 split), and returns the metrics together with the fitted Pipeline, so callers
// (CLI, tracking, registry) can record the run and keep the model.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { isNumeric, type Frame } from '../core/frame.ts';
import { dropColumns, getColumn, takeFrameRows } from '../data/frame-ops.ts';
import { accuracy, logLoss, mae, r2, rmse, rocAuc } from '../metrics/index.ts';
import { defaultEncoder } from '../preprocessing/index.ts';
import { trainTestSplit } from '../selection/splits.ts';
import { createEstimator, type SupervisedModel } from '../registry.ts';
import { Pipeline, type Task } from './pipeline.ts';
import { selectFeatures, type ExcludedColumn, type FeatureSelection } from '../data/feature-selection.ts';

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
  /**
   * L2 regularisation strength, as each model's documentation defines it: Ridge's alpha, and for
   * logistic regression alpha = 1 / C (scikit-learn's C is the inverse strength). Other models
   * have no such parameter: giving it is an error.
   */
  alpha?: number;
  learningRate?: number;
  seed?: number;
  /** rows held out when there is no test frame */
  testSize?: number;
  /** feature columns (exactly these); default: every column but the target, `drop`, identifier-like and constant ones */
  features?: string[];
  drop?: string[];
  /** numeric columns holding dates / timestamps as epoch seconds (prediction also takes ISO 8601 strings for them) */
  dates?: string[];
  /** numeric feature scaling */
  scale?: 'none' | 'standard' | 'minmax';
  /** worker threads of the model (forests); 0 = one per core */
  threads?: number;
}

interface Common {
  model: string;
  fit_s: number;
  n_train: number;
  n_test: number;
  n_features: number;
  n_dropped: number;
  features: string[];
  excluded: ExcludedColumn[];
}
export interface RegressionResult extends Common { task: 'regression'; rmse: number; mae: number; r2: number }
export interface ClassificationResult extends Common { task: 'classification'; accuracy: number; log_loss: number; auc: number; classes: string[] }
export type TrainResult = RegressionResult | ClassificationResult;

/** The estimator behind a `train` model name, built by the one estimator factory. */
export function makeModel(opts: TrainOptions): SupervisedModel {
  const seed = opts.seed ?? 0;
  const forest = { nEstimators: opts.trees ?? 100, maxDepth: opts.depth ?? 0, seed, ...(opts.threads !== undefined ? { nJobs: opts.threads } : {}) };
  const boost = {
    nEstimators: opts.rounds ?? 100,
    maxDepth: opts.depth ?? 6,
    learningRate: opts.learningRate ?? 0.1,
    seed,
    ...(opts.threads !== undefined ? { nJobs: opts.threads } : {}),
  };
  const usesAlpha = opts.model === 'ridge' || opts.model === 'logistic' || (opts.task === 'classification' && opts.model === 'linear');
  if (opts.alpha !== undefined && !usesAlpha) {
    throw new InvalidParameterError(`--alpha: ${opts.model} has no L2 strength (alpha applies to ridge and logistic)`);
  }
  if (opts.alpha !== undefined && !(opts.alpha > 0 && Number.isFinite(opts.alpha))) {
    throw new InvalidParameterError(`--alpha must be a finite number > 0, got ${opts.alpha}`);
  }
  if (opts.task === 'regression') {
    switch (opts.model) {
      case 'linear': return createEstimator('LinearRegression');
      case 'ridge': return createEstimator('Ridge', { alpha: opts.alpha ?? 1 });
      case 'random-forest': return createEstimator('RandomForestRegressor', forest);
      case 'gbdt': return createEstimator('GradientBoostingRegressor', boost);
    }
    throw new InvalidParameterError(`unknown regression model "${opts.model}" (choose ${REGRESSION_MODELS.join(', ')})`);
  }
  switch (opts.model) {
    case 'logistic': case 'linear': return createEstimator('LogisticRegression', { C: 1 / (opts.alpha ?? 1) });
    case 'random-forest': return createEstimator('RandomForestClassifier', forest);
    case 'gbdt': return createEstimator('GradientBoostingClassifier', boost);
  }
  throw new InvalidParameterError(`unknown classification model "${opts.model}" (choose ${CLASSIFICATION_MODELS.join(', ')})`);
}

/** Rows whose target is present (regression: a finite number; classification: a non-null label). */
export function labelledRows(frame: Frame, target: string, task: Task): number[] {
  const c = getColumn(frame, target);
  const keep: number[] = [];
  for (let i = 0; i < frame.length; i++) {
    const v = c[i];
    if (task === 'regression') { if (isNumeric(c) ? Number.isFinite(v as number) : v !== null && v !== '' && Number.isFinite(Number(v))) keep.push(i); }
    else if (v !== null && !(typeof v === 'number' && Number.isNaN(v))) keep.push(i);
  }
  return keep;
}

export function targetValues(frame: Frame, target: string, task: Task): Float64Array | string[] {
  const c = getColumn(frame, target);
  if (task === 'regression') return isNumeric(c) ? c : Float64Array.from(c, Number);
  return Array.from(c as ArrayLike<string | number | null>, (v) => String(v));
}

/** The unfitted pipeline for a training frame: feature selection, encoder (dates, scaling) and model. */
export function makePipeline(train: Frame, opts: TrainOptions): { pipeline: Pipeline; selection: FeatureSelection } {
  const selection = selectFeatures(train, { target: opts.target, features: opts.features, drop: opts.drop });
  const keep = new Set(selection.features);
  const encoder = defaultEncoder(train, {
    target: opts.target, exclude: [...train.columns.keys()].filter((c) => !keep.has(c)),
    dates: (opts.dates ?? []).filter((c) => keep.has(c)), scale: opts.scale ?? 'none',
  });
  return { pipeline: new Pipeline(encoder, makeModel(opts), { task: opts.task }), selection };
}

export function trainTable(trainFrame: Frame, testFrame: Frame | null, opts: TrainOptions): { result: TrainResult; pipeline: Pipeline } {
  const { task, target } = opts;
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
  const { pipeline, selection } = makePipeline(train, opts);
  const encoder = pipeline.encoder;
  const yTrain = targetValues(train, target, task);
  const t0 = performance.now();
  pipeline.fit(dropColumns(train, [target]), yTrain);
  const fit_s = (performance.now() - t0) / 1000;
  const common = {
    model: opts.model,
    fit_s,
    n_train: train.length,
    n_test: test.length,
    n_features: encoder.nFeatures,
    n_dropped: dropped,
    features: selection.features,
    excluded: selection.excluded,
  };
  const scores = scoreTable(pipeline, test, opts);
  return { pipeline, result: scores.task === 'regression' ? { ...common, ...scores } : { ...common, ...scores } };
}

export type RegressionScores = Pick<RegressionResult, 'task' | 'rmse' | 'mae' | 'r2'>;
export type ClassificationScores = Pick<ClassificationResult, 'task' | 'accuracy' | 'log_loss' | 'auc' | 'classes'>;

/** A fitted pipeline's test metrics on labelled rows (regression: RMSE, MAE, R2; classification: accuracy, log loss, ROC AUC). */
export function scoreTable(pipeline: Pipeline, test: Frame, opts: Pick<TrainOptions, 'task' | 'target'>): RegressionScores | ClassificationScores {
  const { task, target } = opts;
  const Xtest = dropColumns(test, [target]);
  if (task === 'regression') {
    const y = targetValues(test, target, task) as Float64Array;
    const p = pipeline.predict(Xtest);
    return { task, rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p) };
  }
  const classes = pipeline.classes;
  const index = new Map(classes.map((c, k) => [c, k]));
  const labels = targetValues(test, target, task) as string[];
  const unseen = labels.find((l) => !index.has(l));
  if (unseen !== undefined) {
    throw new InvalidInputError(`test label "${unseen}" of "${target}" never occurs in the training rows (classes: ${classes.join(', ')})`);
  }
  const y = Float64Array.from(labels, (l) => index.get(l)!);
  const proba = pipeline.predictProba(Xtest);
  const pred = pipeline.predict(Xtest);
  const present = new Set(y).size;
  return { task, accuracy: accuracy(y, pred), log_loss: logLoss(y, proba), auc: present === classes.length ? rocAuc(y, proba) : NaN, classes };
}
