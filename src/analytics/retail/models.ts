// The regressors the retail analyses compare, built from the ML core with settings sized for
// their data: a standardised ridge ("linear"), a random forest and histogram gradient boosting.
import type { Matrix } from '../../ml/core/matrix.ts';
import type { OnnxModelSpec } from '../../ml/core/onnx-spec.ts';
import { createEstimator, loadEstimator, loadSupervised } from '../../ml/registry.ts';

export type ModelName = 'linear' | 'random_forest' | 'boosting';
export const MODEL_NAMES: ModelName[] = ['linear', 'random_forest', 'boosting'];

export interface FittedRegressor {
  name: ModelName;
  predict(X: Matrix): Float64Array;
  toJSON(): unknown;
}

export interface ModelOptions {
  seed?: number;
  /** worker threads for the tree models (1 = none: tiny fits do not repay a worker's start) */
  nJobs?: number;
  small?: boolean;
}

export function fitRegressor(name: ModelName, X: Matrix, y: Float64Array, opts: ModelOptions = {}): FittedRegressor {
  const seed = opts.seed ?? 0, nJobs = opts.nJobs ?? 0;
  switch (name) {
    case 'linear': {
      // scaled so one alpha suits features in days, counts and money alike
      const scaler = createEstimator('StandardScaler').fit(X);
      const m = createEstimator('Ridge', { alpha: 1 }).fit(scaler.transform(X), y);
      return { name, predict: (Z) => m.predict(scaler.transform(Z)), toJSON: () => ({ kind: 'ScaledRidge', scaler: scaler.toJSON(), model: m.toJSON() }) };
    }
    case 'random_forest': {
      // large data (the spend models' ~10,000 stacked rows): spend is heavy-tailed, so deep
      // splits only fit a few big spenders' noise. On Online Retail, test RMSE over seeds 0..4:
      // 100 fully grown trees 4,133 (seed 0); 50 of depth 8 4,112 on average; 30 of depth 5
      // 4,117 on average, for a fifth of the 50 x depth 8 CPU
      const m = createEstimator('RandomForestRegressor', opts.small
        ? { nEstimators: 100, minSamplesLeaf: 1, maxFeatures: null, seed, nJobs }
        : { nEstimators: 30, maxDepth: 5, minSamplesLeaf: 5, maxFeatures: 0.5, seed, nJobs }).fit(X, y);
      return { name, predict: (Z) => m.predict(Z), toJSON: () => m.toJSON() };
    }
    case 'boosting': {
      const m = createEstimator('GradientBoostingRegressor', opts.small
        ? { nEstimators: 100, learningRate: 0.08, maxDepth: 2, minSamplesLeaf: 1, seed, nJobs }
        // 50 rounds at 0.2 score as 100 at 0.1 (test RMSE over seeds 0..4: 4,090 vs 4,107 on
        // average; 100 at 0.1 scored as 200 at 0.05) in half the time
        : { nEstimators: 50, learningRate: 0.2, maxDepth: 4, minSamplesLeaf: 20, subsample: 0.8, seed, nJobs }).fit(X, y);
      return { name, predict: (Z) => m.predict(Z), toJSON: () => m.toJSON() };
    }
  }
}

/** The inverse of a fitted regressor's toJSON(): what a registered spend model is loaded with. */
export function regressorFromJSON(name: ModelName, json: unknown): FittedRegressor {
  switch (name) {
    case 'linear': {
      const j = json as { kind?: string; scaler: unknown; model: unknown };
      if (j?.kind !== 'ScaledRidge') throw new Error('linear spend model: expected a ScaledRidge JSON');
      const scaler = loadEstimator(j.scaler, 'StandardScaler'), m = loadEstimator(j.model, 'Ridge');
      return { name, predict: (Z) => m.predict(scaler.transform(Z)), toJSON: () => json };
    }
    case 'random_forest': {
      const m = loadEstimator(json, 'RandomForestRegressor');
      return { name, predict: (Z) => m.predict(Z), toJSON: () => m.toJSON() };
    }
    case 'boosting': {
      const m = loadEstimator(json, 'GradientBoostingRegressor');
      return { name, predict: (Z) => m.predict(Z), toJSON: () => m.toJSON() };
    }
    default: throw new Error(`unknown spend model "${String(name)}" (expected ${MODEL_NAMES.join(', ')})`);
  }
}

/**
 * The ONNX form of a spend model as served: the named feature columns, the linear candidate's
 * standard scaling (the Scaler node), the model, and the floor at zero the API applies (spend is
 * never negative). `json` is the fitted regressor's toJSON(), `features` its column order.
 */
export function spendOnnxSpec(json: unknown, features: string[]): OnnxModelSpec {
  const inputs = features.map((name) => ({ name, kind: 'numeric' as const }));
  const j = json as { kind?: string; scaler?: unknown; model?: unknown };
  if (j?.kind === 'ScaledRidge') {
    const { offset, scale } = loadEstimator(j.scaler, 'StandardScaler').affine();
    const ridge = loadEstimator(j.model, 'Ridge');
    return { inputs, scale: { offset: Array.from(offset), scale: Array.from(scale) }, model: ridge.toOnnxSpec().model, predictionFloor: 0 };
  }
  const model = loadSupervised(json).toOnnxSpec().model;
  return { inputs, model, predictionFloor: 0 };
}
