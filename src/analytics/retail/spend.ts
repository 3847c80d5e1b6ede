// Spend prediction: a customer's revenue in the 90 days after a cutoff, from features built
// only from sales before it. Trained on earlier cutoffs stacked (cutoff - horizon, then every 30
// days back while 90 days of history remain, at most a year: the latest training target window
// ends where the test's features end, so test targets never overlap training data), with the
// cutoff's month as a feature so the models can learn the season of the target window (the
// "last 90 days" baseline cannot: it under-predicts every quarter that precedes Christmas).
// Linear, random forest and boosting are compared on RMSE, MAE and R2 against the "same as the
// last 90 days" baseline; the best by RMSE is the spend model.
import { mae, r2, rmse } from '../../ml/metrics/regression.ts';
import type { Matrix } from '../../ml/core/matrix.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { customerFeaturesAt, productCategories, spendAfterAt, topCountries } from './features.ts';
import { defaultCutoff } from './kpis.ts';
import { fitRegressor, MODEL_NAMES, type FittedRegressor, type ModelName } from './models.ts';

export interface RegressionMetrics { rmse: number; mae: number; r2: number }

export interface SpendResult {
  cutoff: string;
  train_cutoff: string;
  /** every training cutoff, latest first */
  train_cutoffs: string[];
  train_rows: number;
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
export const SEASON_FEATURES = ['cutoff_month_sin', 'cutoff_month_cos'];

/** Training cutoffs: cutoff - horizon, then every 30 days back while 90 days of history remain. */
export async function trainingCutoffs(wh: Warehouse, cutoff: Date, horizon: number, maxStack: number): Promise<Date[]> {
  const [r] = await wh.query<{ lo: Date | null }>(`SELECT min(ts) AS lo FROM curated.commerce_lines`);
  const lo = r?.lo ? new Date(r.lo).getTime() : cutoff.getTime();
  const out: Date[] = [];
  for (let j = 0; j < maxStack; j++) {
    const c = cutoff.getTime() - horizon * DAY_MS - j * 30 * DAY_MS;
    if (j > 0 && c - 90 * DAY_MS < lo) break;
    out.push(new Date(c));
  }
  return out;
}

/** The season of a cutoff: its month (fractional) on the unit circle. */
export function seasonColumns(cutoff: Date): [number, number] {
  const m = cutoff.getUTCMonth() + (cutoff.getUTCDate() - 1) / 31;
  return [Math.sin((2 * Math.PI * m) / 12), Math.cos((2 * Math.PI * m) / 12)];
}

/** The feature matrix with the cutoff's season (sin, cos) appended to every row. */
export function withSeason(X: Matrix, cutoff: Date): Matrix {
  const d = X.cols + 2, out = new Float64Array(X.rows * d);
  const [s, c] = seasonColumns(cutoff);
  for (let i = 0; i < X.rows; i++) {
    out.set(X.data.subarray(i * X.cols, (i + 1) * X.cols), i * d);
    out[i * d + X.cols] = s; out[i * d + X.cols + 1] = c;
  }
  return { rows: X.rows, cols: d, data: out };
}

function stackRows(ms: Matrix[]): Matrix {
  const d = ms[0]!.cols, rows = ms.reduce((a, m) => a + m.rows, 0), out = new Float64Array(rows * d);
  let o = 0;
  for (const m of ms) { out.set(m.data, o); o += m.data.length; }
  return { rows, cols: d, data: out };
}

function metrics(y: Float64Array, p: Float64Array): RegressionMetrics {
  return { rmse: rmse(y, p), mae: mae(y, p), r2: r2(y, p) };
}

/** Everything the spend models are fitted and scored on, read from the warehouse (plain data: it can travel to a worker thread). */
export interface SpendData {
  cutoff: string;
  trainCutoffs: string[];
  horizon: number;
  categories: string[];
  countries: string[];
  features: string[];
  Xtr: Matrix;
  ytr: Float64Array;
  Xte: Matrix;
  yte: Float64Array;
  /** the test customers' spend in the 90 days before the cutoff: the baseline's prediction */
  last90: Float64Array;
  trainCustomers: number;
  testCustomers: number;
}

/** The SQL half of the spend prediction: features and targets at every cutoff. */
export async function spendData(wh: Warehouse, opts: { cutoff?: Date; horizonDays?: number; maxStack?: number } = {}): Promise<SpendData> {
  const horizon = opts.horizonDays ?? 90;
  const cutoff = opts.cutoff ?? await defaultCutoff(wh, horizon);
  const trainCutoffs = await trainingCutoffs(wh, cutoff, horizon, opts.maxStack ?? 12);
  const trainCutoff = trainCutoffs[0]!;
  const categories = await productCategories(wh);
  const countries = await topCountries(wh, trainCutoff);
  // every cutoff's features and targets in one pass each: the test cutoff's table comes last
  const tables = await customerFeaturesAt(wh, [...trainCutoffs, cutoff], { categories, countries });
  const test = tables.pop()!;
  const targets = await spendAfterAt(wh, [...trainCutoffs.map((c, k) => ({ cutoff: c, ids: tables[k]!.ids })), { cutoff, ids: test.ids }], horizon);
  const yte = targets.pop()!;
  const parts = tables.map((f, k) => ({ X: withSeason(f.X, trainCutoffs[k]!), y: targets[k]! }));
  const trainCustomers = tables[0]!.ids.length;
  if (trainCustomers < 20) throw new Error(`spend prediction: only ${trainCustomers} customers bought before the ` +
    `training cutoff ${trainCutoff.toISOString()}; need at least 20`);
  if (test.ids.length < 5) throw new Error(`spend prediction: only ${test.ids.length} customers before the cutoff ${cutoff.toISOString()}`);
  const ytr = new Float64Array(parts.reduce((a, p) => a + p.y.length, 0));
  let o = 0;
  for (const p of parts) { ytr.set(p.y, o); o += p.y.length; }
  return {
    cutoff: cutoff.toISOString(), trainCutoffs: trainCutoffs.map((c) => c.toISOString()), horizon, categories, countries,
    features: [...test.columns, ...SEASON_FEATURES], Xtr: stackRows(parts.map((p) => p.X)), ytr,
    Xte: withSeason(test.X, cutoff), yte, last90: test.last90,
    trainCustomers, testCustomers: test.ids.length,
  };
}

/** The compute half: every model fitted and scored against the baseline (nJobs as in fitRegressor). */
export function fitSpend(d: SpendData, opts: { seed?: number; nJobs?: number } = {}): SpendResult {
  const models = { baseline_last_90d: metrics(d.yte, d.last90) } as SpendResult['models'];
  const fitted = new Map<ModelName, FittedRegressor>();
  for (const m of MODEL_NAMES) {
    const f = fitRegressor(m, d.Xtr, d.ytr, { seed: opts.seed, nJobs: opts.nJobs });
    // spend is never negative: clip what a linear model may extrapolate below zero
    const p = f.predict(d.Xte).map((v) => Math.max(0, v));
    models[m] = metrics(d.yte, p);
    fitted.set(m, f);
  }
  const best = MODEL_NAMES.reduce((a, b) => (models[b].rmse < models[a].rmse ? b : a));
  return {
    cutoff: d.cutoff, train_cutoff: d.trainCutoffs[0]!, horizon_days: d.horizon,
    train_cutoffs: d.trainCutoffs, train_rows: d.Xtr.rows,
    train_customers: d.trainCustomers, test_customers: d.testCustomers, features: d.features, categories: d.categories, countries: d.countries,
    models, best, beats_baseline: models[best].rmse < models.baseline_last_90d.rmse, model: fitted.get(best)!,
  };
}

export async function spendPrediction(
  wh: Warehouse,
  opts: { cutoff?: Date; horizonDays?: number; seed?: number; maxStack?: number } = {},
): Promise<SpendResult> {
  return fitSpend(await spendData(wh, opts), { seed: opts.seed });
}
