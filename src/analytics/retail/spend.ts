// Spend prediction: a customer's revenue in the 90 days after a cutoff, from features built
// only from sales before it. Trained at an earlier cutoff (cutoff - horizon: its target window
// ends where the test's features end) and tested at the cutoff, so test targets never overlap
// training data. Linear, random forest and boosting are compared on RMSE, MAE and R2 against
// the "same as the last 90 days" baseline; the best by RMSE is the spend model.
import { mae, r2, rmse } from '../../ml/metrics/index.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { customerFeatures, productCategories, spendAfter, topCountries } from './features.ts';
import { defaultCutoff } from './kpis.ts';
import { fitRegressor, MODEL_NAMES, type FittedRegressor, type ModelName } from './models.ts';

export interface RegressionMetrics { rmse: number; mae: number; r2: number }

export interface SpendResult {
  cutoff: string;
  train_cutoff: string;
  horizon_days: number;
  train_customers: number;
  test_customers: number;
  features: string[];
  categories: string[];
  countries: string[];
  models: Record<ModelName | 'baseline_last_90d', RegressionMetrics>;
  best: ModelName;
  beats_baseline: boolean;
  model: FittedRegressor;
}

const DAY_MS = 86_400_000;

function metrics(y: Float64Array, p: Float64Array): RegressionMetrics {
  return { rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p) };
}

export async function spendPrediction(wh: Warehouse, opts: { cutoff?: Date; horizonDays?: number; seed?: number } = {}): Promise<SpendResult> {
  const horizon = opts.horizonDays ?? 90;
  const cutoff = opts.cutoff ?? await defaultCutoff(wh, horizon);
  const trainCutoff = new Date(cutoff.getTime() - horizon * DAY_MS);
  const categories = await productCategories(wh);
  const countries = await topCountries(wh, trainCutoff);
  const train = await customerFeatures(wh, { cutoff: trainCutoff, categories, countries });
  const test = await customerFeatures(wh, { cutoff, categories, countries });
  if (train.ids.length < 20) throw new Error(`spend prediction: only ${train.ids.length} customers bought before the training cutoff ${trainCutoff.toISOString()}; need at least 20`);
  if (test.ids.length < 5) throw new Error(`spend prediction: only ${test.ids.length} customers before the cutoff ${cutoff.toISOString()}`);
  const ytr = await spendAfter(wh, train.ids, trainCutoff, horizon);
  const yte = await spendAfter(wh, test.ids, cutoff, horizon);
  const models = { baseline_last_90d: metrics(yte, test.last90) } as SpendResult['models'];
  const fitted = new Map<ModelName, FittedRegressor>();
  for (const m of MODEL_NAMES) {
    const f = fitRegressor(m, train.X, ytr, { seed: opts.seed });
    // spend is never negative: clip what a linear model may extrapolate below zero
    const p = f.predict(test.X).map((v) => Math.max(0, v));
    models[m] = metrics(yte, p);
    fitted.set(m, f);
  }
  const best = MODEL_NAMES.reduce((a, b) => (models[b].rmse < models[a].rmse ? b : a));
  return {
    cutoff: cutoff.toISOString(), train_cutoff: trainCutoff.toISOString(), horizon_days: horizon,
    train_customers: train.ids.length, test_customers: test.ids.length, features: train.columns, categories, countries,
    models, best, beats_baseline: models[best].rmse < models.baseline_last_90d.rmse, model: fitted.get(best)!,
  };
}
