// Revenue forecasting, monthly and weekly: lag and calendar features, four models (seasonal
// naive, linear, random forest, boosting) compared by a rolling-origin backtest (fit on every
// period before the origin, predict the origin, move on by one), then each model's forecast of
// the next period. Forecast against actual is written to curated.commerce_forecast.
import { mae, mape, rmse } from '../../ml/metrics/regression.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { EXACT_REVENUE } from './revenue-sql.ts';
import { writeLakeTable } from '../../warehouse/lake-rows.ts';
import { fitRegressor, MODEL_NAMES, type ModelName } from './models.ts';

export type Granularity = 'month' | 'week';
export type ForecastModel = 'seasonal_naive' | ModelName;
export const FORECAST_MODELS: ForecastModel[] = ['seasonal_naive', ...MODEL_NAMES];

export interface Series { granularity: Granularity; periods: string[]; revenue: Float64Array }

export interface ForecastMetrics { mae: number; rmse: number; mape: number; folds: number }

export interface ForecastResult {
  granularity: Granularity;
  periods: number;
  /** the seasonal lag when the series is long enough for it, else null (naive = last period) */
  season: number | null;
  models: Record<ForecastModel, ForecastMetrics>;
  best: ForecastModel;
  next: { period: string; forecast: Record<ForecastModel, number> };
  rows: { period: string; model: ForecastModel; kind: 'backtest' | 'future'; actual: number | null; forecast: number }[];
}

const SPEC = {
  month: { lags: [1, 2, 3], season: 12, minTrain: 5, step: 'INTERVAL 1 MONTH', trunc: 'month' },
  week: { lags: [1, 2, 3, 4], season: 52, minTrain: 12, step: 'INTERVAL 7 DAY', trunc: 'week' },
} as const;

/**
 * Revenue per complete period (periods cut by the data's first or last day are left out; gaps are 0).
 * Days are the lines' `day` (their UTC date), not a cast of the zoned timestamp per line.
 */
export async function revenueSeries(wh: Warehouse, granularity: Granularity): Promise<Series> {
  const s = SPEC[granularity];
  const rows = await wh.query<{ period: Date; revenue: number }>(`
    WITH d AS (SELECT day, sum(${EXACT_REVENUE}) AS rev FROM curated.commerce_lines GROUP BY 1),
    b AS (SELECT min(day) AS lo, max(day) AS hi FROM d),
    g AS (SELECT CAST(unnest(generate_series(date_trunc('${s.trunc}', lo), hi, ${s.step})) AS DATE) AS period FROM b),
    p AS (SELECT CAST(date_trunc('${s.trunc}', day) AS DATE) AS period, sum(rev) AS revenue FROM d GROUP BY 1)
    SELECT g.period, CAST(coalesce(p.revenue, 0) AS DOUBLE) AS revenue FROM g LEFT JOIN p USING (period), b
    WHERE g.period >= b.lo AND CAST(g.period + ${s.step} AS DATE) - 1 <= b.hi ORDER BY g.period`);
  return { granularity, periods: rows.map((r) => isoDay(r.period)), revenue: Float64Array.from(rows, (r) => Number(r.revenue)) };
}

function isoDay(d: Date | string): string {
  return (d instanceof Date ? d.toISOString() : new Date(String(d)).toISOString()).slice(0, 10);
}

function addPeriod(day: string, g: Granularity): string {
  const d = new Date(day + 'T00:00:00Z');
  if (g === 'month') d.setUTCMonth(d.getUTCMonth() + 1); else d.setUTCDate(d.getUTCDate() + 7);
  return d.toISOString().slice(0, 10);
}

/** Feature names for a granularity; `season` adds the seasonal lag column. */
export function featureNames(g: Granularity, season: number | null): string[] {
  const lags = SPEC[g].lags.map((l) => `lag_${l}`);
  const cal = g === 'month' ? ['month_sin', 'month_cos', 'quarter', 'weekdays'] : ['week_sin', 'week_cos', 'month', 'q4'];
  return [...lags, 'lag_mean', ...(season ? [`lag_${season}`] : []), ...cal, 'trend'];
}

/**
 * The feature row of period t from values strictly before it (y[t - lag]) and t's calendar.
 * Only past values are read, so the same code makes backtest rows and the next-period row.
 */
export function featureRow(g: Granularity, y: ArrayLike<number>, t: number, period: string, season: number | null): number[] {
  const lags = SPEC[g].lags.map((l) => y[t - l]!);
  const d = new Date(period + 'T00:00:00Z');
  const month = d.getUTCMonth(); // 0..11
  const row = [...lags, lags.reduce((a, b) => a + b, 0) / lags.length];
  if (season) row.push(y[t - season]!);
  if (g === 'month') {
    row.push(Math.sin((2 * Math.PI * month) / 12), Math.cos((2 * Math.PI * month) / 12), Math.floor(month / 3) + 1, weekdaysInMonth(d));
  } else {
    const week = isoWeek(d);
    row.push(Math.sin((2 * Math.PI * week) / 52.18), Math.cos((2 * Math.PI * week) / 52.18), month + 1, month >= 9 ? 1 : 0);
  }
  row.push(t);
  return row;
}

function weekdaysInMonth(first: Date): number {
  const y = first.getUTCFullYear(), m = first.getUTCMonth();
  const days = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  let n = 0;
  for (let i = 1; i <= days; i++) { const wd = new Date(Date.UTC(y, m, i)).getUTCDay(); if (wd !== 0 && wd !== 6) n++; }
  return n;
}

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
  const y0 = new Date(Date.UTC(t.getUTCFullYear(), 0, 1));
  return Math.ceil(((t.getTime() - y0.getTime()) / 86_400_000 + 1) / 7);
}

export interface BacktestOptions { seed?: number; minTrain?: number }

/** Rolling-origin backtest of every model on one series, plus each model's next-period forecast. */
export function backtest(series: Series, opts: BacktestOptions = {}): ForecastResult {
  const g = series.granularity, spec = SPEC[g], y = series.revenue, n = y.length;
  const maxLag = Math.max(...spec.lags);
  const minTrain = opts.minTrain ?? spec.minTrain;
  // the seasonal lag is used only when a backtest can still train on rows that have it
  const season = n - spec.season >= minTrain + 2 ? spec.season : null;
  const first = season ?? maxLag; // first row with every feature
  const firstOrigin = first + minTrain;
  if (firstOrigin >= n) {
    throw new Error(`forecast (${g}): ${n} complete periods; the backtest needs at least ${firstOrigin + 1} (${maxLag} ` +
      `lags + ${minTrain} training periods + 1)`);
  }
  const rowsX: number[][] = [];
  for (let t = 0; t < n; t++) rowsX.push(t >= first ? featureRow(g, y, t, series.periods[t]!, season) : []);
  const d = featureNames(g, season).length;
  const mat = (ts: number[]) => ({ rows: ts.length, cols: d, data: Float64Array.from(ts.flatMap((t) => rowsX[t]!)) });
  const naive = (t: number) => (t >= spec.season ? y[t - spec.season]! : y[t - 1]!);

  const out: ForecastResult['rows'] = [];
  const preds: Record<ForecastModel, number[]> = { seasonal_naive: [], linear: [], random_forest: [], boosting: [] };
  const actual: number[] = [];
  for (let origin = firstOrigin; origin < n; origin++) {
    const train = Array.from({ length: origin - first }, (_, i) => first + i);
    const Xtr = mat(train), ytr = Float64Array.from(train, (t) => y[t]!), Xte = mat([origin]);
    actual.push(y[origin]!);
    const p: Record<ForecastModel, number> = { seasonal_naive: naive(origin), linear: 0, random_forest: 0, boosting: 0 };
    for (const m of MODEL_NAMES) p[m] = fitRegressor(m, Xtr, ytr, { seed: opts.seed, nJobs: 1, small: true }).predict(Xte)[0]!;
    for (const m of FORECAST_MODELS) {
      preds[m].push(p[m]);
      out.push({ period: series.periods[origin]!, model: m, kind: 'backtest', actual: y[origin]!, forecast: p[m] });
    }
  }
  const models = {} as Record<ForecastModel, ForecastMetrics>;
  for (const m of FORECAST_MODELS) {
    models[m] = { mae: mae(actual, preds[m]), rmse: rmse(actual, preds[m]), mape: mape(actual, preds[m]), folds: actual.length };
  }
  const best = FORECAST_MODELS.reduce((a, b) => (models[b].rmse < models[a].rmse ? b : a));

  // next period: fit on everything, features from the last observed values
  const nextPeriod = addPeriod(series.periods[n - 1]!, g);
  const yy = Float64Array.from([...y, NaN]);
  const xNext = { rows: 1, cols: d, data: Float64Array.from(featureRow(g, yy, n, nextPeriod, season)) };
  const all = Array.from({ length: n - first }, (_, i) => first + i);
  const next = { period: nextPeriod, forecast: { seasonal_naive: naive(n) } as Record<ForecastModel, number> };
  for (const m of MODEL_NAMES) {
    next.forecast[m] = fitRegressor(m, mat(all), Float64Array.from(all, (t) => y[t]!), { seed: opts.seed, nJobs: 1, small: true }).predict(xNext)[0]!;
  }
  for (const m of FORECAST_MODELS) out.push({ period: nextPeriod, model: m, kind: 'future', actual: null, forecast: next.forecast[m] });
  return { granularity: g, periods: n, season, models, best, next, rows: out };
}

export const FORECAST_TABLE = 'curated.commerce_forecast';

/** Both granularities; writes forecast-vs-actual (every backtest origin, plus the next period). */
export async function runForecasts(wh: Warehouse, opts: BacktestOptions = {}): Promise<{ month: ForecastResult; week: ForecastResult; rows: number }> {
  const month = backtest(await revenueSeries(wh, 'month'), opts);
  const week = backtest(await revenueSeries(wh, 'week'), opts);
  return { month, week, rows: await writeForecasts(wh, month, week) };
}

/** Forecast against actual (every backtest origin, plus the next period) as a lake table; returns its rows. */
export async function writeForecasts(wh: Warehouse, month: ForecastResult, week: ForecastResult): Promise<number> {
  const rows = [...month.rows.map((r) => ({ g: 'month', ...r })), ...week.rows.map((r) => ({ g: 'week', ...r }))];
  const best = { month: month.best, week: week.best } as Record<string, ForecastModel>;
  await writeLakeTable(wh, FORECAST_TABLE, [
    { name: 'granularity', type: 'VARCHAR' }, { name: 'period', type: 'DATE' }, { name: 'model', type: 'VARCHAR' },
    { name: 'kind', type: 'VARCHAR' }, { name: 'actual', type: 'DOUBLE' }, { name: 'forecast', type: 'DOUBLE' }, { name: 'is_best', type: 'BOOLEAN' },
  ], {
    granularity: rows.map((r) => r.g), period: rows.map((r) => r.period), model: rows.map((r) => r.model),
    kind: rows.map((r) => r.kind), actual: rows.map((r) => r.actual), forecast: rows.map((r) => r.forecast),
    is_best: rows.map((r) => best[r.g] === r.model),
  }, { summary: { model: 'forecast' } });
  return rows.length;
}
