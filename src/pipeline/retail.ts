// `tributary run retail`: the whole sales-analytics use case as one pipeline over a workspace.
// source (the given file, or the generated retail world) → clean (commerce SQL models) → KPIs →
// forecast → spend → segment → export (lake tables for the dashboard) → track (run, metrics,
// stage durations, registered models with the lake snapshots they read).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineResult, StepOrGroup } from './runner.ts';
import { executePipeline, type PipelineDefinition } from './execute.ts';
import { defaultThreads } from '../util/workers.ts';
import { threadPool } from '../util/thread-pool.ts';
import { ModelRegistry, type Run } from '../tracking/index.ts';
import { ingestFile } from '../warehouse/ingest.ts';
import { buildModels } from '../warehouse/models.ts';
import type { Workspace } from '../warehouse/workspace.ts';
import { rfmTable } from '../analytics/retail/features.ts';
import { revenueSeries, writeForecasts, type ForecastResult } from '../analytics/retail/forecast.ts';
import { runFitTask, type FitReply, type FitTask, type SideTask } from '../analytics/retail/side-worker.ts';
import { regressorFromJSON } from '../analytics/retail/models.ts';
import { readKpis, round, validationReport, type Kpis, type ValidationRow } from '../analytics/retail/kpis.ts';
import { writeLakeTable } from '../warehouse/lake-rows.ts';
import { elbowK, segmentCustomers, logStandardise, scanK, type SegmentationResult, type KChoice } from '../analytics/retail/segments.ts';
import { spendData, type SpendResult } from '../analytics/retail/spend.ts';
import { COMMERCE_MODELS, COMMERCE_PUBLISHED } from '../analytics/retail/commerce-models.ts';

const SIDE_TASKS = new URL('../analytics/retail/side-worker.ts', import.meta.url);
/** the retail pipeline's side work: tasks one at a time on the thread pool */
interface SideLane { run(task: SideTask, label: string): Promise<unknown> }

export { COMMERCE_MODELS, COMMERCE_PUBLISHED };

export interface RetailOptions {
  /** an order-lines file (the Online Retail CSV, or NDJSON/Parquet of order_line events); absent = the retail world */
  data?: string;
  /** use the order lines already in the lake (raw.order_line, e.g. collected over HTTP) instead of importing any */
  fromLake?: boolean;
  seed?: number;
  world?: { customers?: number; months?: number };
  kRange?: [number, number];
  /** record a tracking run and register the models (default true) */
  track?: boolean;
  log?: (line: string) => void;
}

export interface RetailSummary {
  source: { kind: 'file' | 'world' | 'lake'; path?: string; rows: number; quarantined: number };
  validation: ValidationRow[];
  kpis: Kpis;
  forecast: Record<'month' | 'week', Pick<ForecastResult, 'periods' | 'season' | 'models' | 'best' | 'next'>>;
  spend: Omit<SpendResult, 'model'>;
  segments: {
    k: number;
    silhouette: number;
    /** the elbow of the inertia curve over the same scan (for the elbow chart) */
    elbow_k: number;
    features: string[];
    scan: KChoice[];
    profiles: SegmentationResult['profiles'];
    dbscan: { eps: number; min_samples: number; clusters: number; noise: number };
    pca2_explained_variance: number;
    /** KMeans on the scikit-learn anchor's features (log1p RFM, standardised) over its k range (3..6) or the given one */
    rfm_only: { k: number; silhouette: number; silhouette_at_k4: number | null; scan: KChoice[] };
  };
  tracking: { run_id: string; models: { name: string; version: number; alias: string }[] } | { skipped: string };
  pipeline: PipelineResult;
}

interface Ctx {
  ws: Workspace;
  opts: RetailOptions;
  source?: RetailSummary['source'];
  validation?: ValidationRow[];
  kpis?: Kpis;
  forecast?: { month: ForecastResult; week: ForecastResult };
  spend?: SpendResult;
  seg?: SegmentationResult;
  rfmOnly?: RetailSummary['segments']['rfm_only'];
  country?: string[];
  tracking?: RetailSummary['tracking'];
}

export const SEGMENTS_TABLE = 'curated.commerce_segments';
export const SCAN_TABLE = 'curated.commerce_segment_scan';

/** The retail steps over a workspace: source, clean, KPIs, the three models at once, export, track. */
function retailSteps(ws: Workspace, opts: RetailOptions, side: SideLane, run: Run | undefined): StepOrGroup<Ctx>[] {
  const seed = opts.seed ?? 0;
  const wh = ws.wh;
  const sql = serialQueue();
  return [
    {
      name: 'source',
      outputs: ['raw.order_line'],
      durable: false, // it hands the source's description to the summary
      async run(c) {
        if (opts.fromLake) {
          if (opts.data) throw new Error('retail pipeline: give either data or fromLake, not both');
          const [r] = await wh.query<{ n: number }>('SELECT count(*)::BIGINT AS n FROM raw.order_line');
          if (!r || r.n === 0) throw new Error('retail pipeline: raw.order_line is empty (collect or import order lines first)');
          c.source = { kind: 'lake', rows: r.n, quarantined: 0 };
          return { rows: r.n, note: `raw.order_line@${wh.snapshots.get('raw.order_line') ?? '?'}` };
        }
        if (opts.data) {
          const r = await ingestFile(wh, opts.data, { table: 'order_line' });
          c.source = { kind: 'file', path: opts.data, rows: r.rows, quarantined: r.quarantined };
          return { rows: r.rows, note: r.mapping ? `mapping ${r.mapping}` : undefined };
        }
        // loaded only here: the generators pull in faker (~90 modules), which a file import never needs
        const { retailWorld, writeNdjsonFile } = await import('../events/generators/index.ts');
        const world = retailWorld({ seed, customers: opts.world?.customers ?? 2000, months: opts.world?.months ?? 24 });
        const dir = mkdtempSync(join(tmpdir(), 'tributary-retail-'));
        try {
          const file = join(dir, 'order_lines.ndjson');
          await writeNdjsonFile(file, world.events());
          const r = await ingestFile(wh, file, { table: 'order_line', format: 'ndjson' });
          c.source = { kind: 'world', rows: r.rows, quarantined: r.quarantined };
          return { rows: r.rows, note: `retail world seed ${seed}` };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'clean',
      inputs: ['raw.order_line'],
      outputs: COMMERCE_PUBLISHED,
      durable: false, // it hands the validation report to the summary
      async run(c) {
        await buildModels(wh, { only: COMMERCE_MODELS, publish: COMMERCE_PUBLISHED });
        c.validation = await validationReport(wh);
        const kept = c.validation.find((r) => r.rule === 'kept')!.rows;
        const input = c.validation.find((r) => r.rule === 'input')!.rows;
        return { rows: kept, note: `${(input - kept).toLocaleString('en-US')} removed by the cleaning rules` };
      },
    },
    {
      name: 'kpis',
      async run(c) {
        c.kpis = await readKpis(wh);
        return { rows: c.kpis.lines, note: `revenue ${c.kpis.revenue.toFixed(2)}, ${c.kpis.customers} customers, ${c.kpis.invoices} invoices` };
      },
    },
    // forecast, spend and segmentation only read the clean lines: they run at once. DuckDB work
    // goes through one queue (one connection), in the order segment, forecast, spend; the
    // segmentation's scans wait for that queue to drain (their synchronous computing would hold
    // up the others' queries), while the t-SNE, the backtests and the spend fits run on the side
    // thread, in the order they are asked for
    [
      {
        name: 'segment',
        async run(c) {
          const t = await sql(() => rfmTable(wh));
          c.country = t.country;
          // the segmentation posts its t-SNE to the side thread, then scans here once the query
          // queue has drained; the log-RFM-only scan (the scikit-learn comparison, over the
          // anchor's k = 3..6 unless a range is given, so the two scans match) runs here after
          // it, while the segmentation waits for its t-SNE
          const gate = sql(async () => {});
          const segmenting = segmentCustomers(t, { seed, kRange: opts.kRange, gate, aside: side });
          segmenting.catch(() => {}); // awaited below; a failing scan here is the error reported first
          await gate;
          const rfm = scanK(logStandardise(t.rfm).Z, { kRange: opts.kRange ?? [3, 6], seed });
          c.seg = await segmenting;
          c.rfmOnly = { k: rfm.best.k, silhouette: rfm.best.silhouette, silhouette_at_k4: rfm.scan.find((s) => s.k === 4)?.silhouette ?? null, scan: rfm.scan };
          return {
            rows: t.ids.length,
            note: `k=${c.seg.k} silhouette ${c.seg.silhouette.toFixed(3)}; RFM only k=${rfm.best.k} ${rfm.best.silhouette.toFixed(3)}`,
          };
        },
      },
      {
        name: 'forecast',
        async run(c) {
          const [month, week] = await sql(async () => [await revenueSeries(wh, 'month'), await revenueSeries(wh, 'week')]);
          const r = await fitAside(side, { task: 'forecast', month, week, opts: { seed } });
          if (r.task !== 'forecast') throw new Error('forecast: unexpected worker reply');
          const rows = await sql(() => writeForecasts(wh, r.month, r.week));
          c.forecast = { month: r.month, week: r.week };
          return { rows, note: `best month ${r.month.best}, week ${r.week.best}` };
        },
      },
      {
        name: 'spend',
        async run(c) {
          const data = await sql(() => spendData(wh));
          const r = await fitAside(side, { task: 'spend', data, seed });
          if (r.task !== 'spend') throw new Error('spend: unexpected worker reply');
          c.spend = { ...r.result, model: regressorFromJSON(r.result.best, r.model) };
          const s = c.spend;
          return {
            rows: s.train_customers + s.test_customers,
            note: `${s.best} RMSE ${s.models[s.best].rmse.toFixed(1)} vs baseline ${s.models.baseline_last_90d.rmse.toFixed(1)}`,
          };
        },
      },
    ],
    {
      name: 'export',
      outputs: [SEGMENTS_TABLE, SCAN_TABLE],
      async run(c) {
        const s = c.seg!, st = s.model.state, n = st.ids.length;
        const tsneX = new Float64Array(n).fill(NaN), tsneY = new Float64Array(n).fill(NaN);
        s.tsne.indices.forEach((i, r) => { tsneX[i] = s.tsne.embedding.data[2 * r]!; tsneY[i] = s.tsne.embedding.data[2 * r + 1]!; });
        const col = (m: { cols: number; data: Float64Array }, j: number) => Float64Array.from({ length: n }, (_, i) => m.data[i * m.cols + j] ?? NaN);
        const r = await writeLakeTable(wh, SEGMENTS_TABLE, [
          { name: 'customer_id', type: 'VARCHAR' }, { name: 'country', type: 'VARCHAR' }, { name: 'segment', type: 'BIGINT' },
          { name: 'segment_name', type: 'VARCHAR' }, { name: 'dbscan_cluster', type: 'BIGINT' },
          { name: 'recency', type: 'DOUBLE' }, { name: 'frequency', type: 'DOUBLE' }, { name: 'monetary', type: 'DOUBLE' },
          { name: 'pca_x', type: 'DOUBLE' }, { name: 'pca_y', type: 'DOUBLE' },
          { name: 'pca3_x', type: 'DOUBLE' }, { name: 'pca3_y', type: 'DOUBLE' }, { name: 'pca3_z', type: 'DOUBLE' },
          { name: 'tsne_x', type: 'DOUBLE' }, { name: 'tsne_y', type: 'DOUBLE' },
        ], {
          customer_id: st.ids, country: c.country!, segment: s.labels, segment_name: Array.from(s.labels, (l) => st.names[l]!),
          dbscan_cluster: s.dbscan.labels,
          recency: Float64Array.from({ length: n }, (_, i) => st.rfm[3 * i]!), frequency: Float64Array.from({ length: n }, (_, i) => st.rfm[3 * i + 1]!),
          monetary: Float64Array.from({ length: n }, (_, i) => st.rfm[3 * i + 2]!),
          pca_x: col(s.pca2, 0), pca_y: col(s.pca2, 1), pca3_x: col(s.pca3, 0), pca3_y: col(s.pca3, 1), pca3_z: col(s.pca3, 2),
          tsne_x: tsneX, tsne_y: tsneY,
        }, { summary: { model: 'segmentation', k: s.k } });
        // the k scans for the elbow and silhouette charts: the segmentation's and the log-RFM one
        const scans = [...s.scan.map((x) => ({ ...x, features: 'rfm+mix', chosen: x.k === s.k })),
          ...c.rfmOnly!.scan.map((x) => ({ ...x, features: 'rfm', chosen: x.k === c.rfmOnly!.k }))];
        await writeLakeTable(wh, SCAN_TABLE, [
          { name: 'features', type: 'VARCHAR' }, { name: 'k', type: 'BIGINT' }, { name: 'inertia', type: 'DOUBLE' },
          { name: 'silhouette', type: 'DOUBLE' }, { name: 'chosen', type: 'BOOLEAN' },
        ], {
          features: scans.map((x) => x.features), k: scans.map((x) => x.k), inertia: scans.map((x) => x.inertia),
          silhouette: scans.map((x) => x.silhouette), chosen: scans.map((x) => x.chosen),
        }, { summary: { model: 'segmentation-scan' } });
        return { rows: r.rows, note: `${SEGMENTS_TABLE}@${r.snapshot}, ${SCAN_TABLE}` };
      },
    },
    {
      // metrics of the run, and the two models registered with the lake snapshots they read
      name: 'track',
      async run(c) {
        if (!run || opts.track === false) {
          c.tracking = { skipped: 'tracking disabled (--no-track)' };
          return { note: 'skipped' };
        }
        c.tracking = await record(ws, run, c as Required<Ctx>, summarise(c as Required<Ctx>));
        return { note: c.tracking.models.map((m) => `${m.name} v${m.version} (${m.alias})`).join(', ') };
      },
    },
  ];
}

/**
 * `tributary run retail` and schedules: the retail steps on the runner (a tracked, leased,
 * resumable run). args: RetailOptions (data, fromLake, seed, world, kRange, track).
 */
export const retailPipeline: PipelineDefinition<Ctx, Omit<RetailSummary, 'pipeline'>> = {
  name: 'retail',
  description: 'sales analytics: clean, KPIs, forecasts, spend prediction, segments; models registered',
  plan(env) {
    const opts = env.args as RetailOptions;
    // one side lane of the thread pool (side-worker.ts tasks, one at a time) for the t-SNE, the
    // backtests and the spend fits, beside the main thread's KMeans scans, DBSCAN and PCA: with
    // two cores, two busy threads; a third would only add its own start-up and compile the same
    // code again
    const lane = threadPool().lane(1);
    const side: SideLane = { run: (task, label) => lane.run(SIDE_TASKS, 'run', task, { label }) };
    // a thread loads the side modules now, while DuckDB imports and cleans
    if (defaultThreads() >= 2) void threadPool().warm(1, SIDE_TASKS).catch(() => {});
    return {
      steps: retailSteps(env.ws, opts, side, env.run),
      ctx: { ws: env.ws, opts },
      params: {
        data: opts.data ?? (opts.fromLake ? 'lake:raw.order_line' : 'retail-world'),
        seed: opts.seed ?? 0,
        k_range: opts.kRange ?? [3, 8],
        churn_days: 90,
        spend_horizon_days: 90,
      },
    };
  },
  result(ctx) {
    return { ...summarise(ctx as Required<Ctx>), tracking: ctx.tracking! };
  },
};

/** Runs the retail pipeline (a named pipeline run: tracked, leased, resumable) and returns its summary. */
export async function runRetail(ws: Workspace, opts: RetailOptions & { resume?: boolean | string } = {}): Promise<RetailSummary> {
  const { log, resume, ...args } = opts;
  const r = await executePipeline(ws, retailPipeline, { args, resume, log });
  return { ...r.result, pipeline: r.pipeline };
}

function summarise(c: Required<Ctx>): Omit<RetailSummary, 'tracking' | 'pipeline'> {
  return {
    source: c.source,
    validation: c.validation,
    kpis: c.kpis,
    forecast: {
      month: pickForecast(c.forecast.month),
      week: pickForecast(c.forecast.week),
    },
    spend: (({ model: _m, ...rest }) => rest)(c.spend),
    segments: {
      k: c.seg.k, silhouette: c.seg.silhouette, elbow_k: elbowK(c.seg.scan), features: c.seg.features, scan: c.seg.scan, profiles: c.seg.profiles,
      dbscan: { eps: c.seg.dbscan.eps, min_samples: c.seg.dbscan.minSamples, clusters: c.seg.dbscan.clusters, noise: c.seg.dbscan.noise },
      pca2_explained_variance: c.seg.pca2Explained, rfm_only: c.rfmOnly,
    },
  };
}

/** A queue for async work that must not overlap (queries on the warehouse's one connection). */
function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const r = tail.then(fn);
    tail = r.catch(() => undefined);
    return r;
  };
}

/** A forecast or spend fit on the side thread (inline when TRIBUTARY_THREADS allows only one). */
function fitAside(side: SideLane, task: FitTask): Promise<FitReply> {
  if (defaultThreads() < 2) return Promise.resolve().then(() => runFitTask(task, 0));
  return side.run(task, task.task) as Promise<FitReply>;
}

function pickForecast(f: ForecastResult) {
  return { periods: f.periods, season: f.season, models: f.models, best: f.best, next: f.next };
}

/** Metrics of the run and the two models, registered with the lake snapshots they were fitted on. */
async function record(ws: Workspace, run: Run, c: Required<Ctx>, s: Omit<RetailSummary, 'tracking' | 'pipeline'>): Promise<{
  run_id: string;
  models: { name: string; version: number; alias: string }[];
}> {
  const metrics: Record<string, number> = {
    revenue: s.kpis.revenue, customers: s.kpis.customers, invoices: s.kpis.invoices, avg_ticket: s.kpis.avg_ticket, churn_rate: s.kpis.churn_rate,
    segments_k: s.segments.k, silhouette: s.segments.silhouette, rfm_only_silhouette: s.segments.rfm_only.silhouette,
    spend_rmse: s.spend.models[s.spend.best].rmse, spend_mae: s.spend.models[s.spend.best].mae, spend_r2: s.spend.models[s.spend.best].r2,
    spend_baseline_rmse: s.spend.models.baseline_last_90d.rmse,
    forecast_month_rmse: s.forecast.month.models[s.forecast.month.best].rmse, forecast_month_mape: s.forecast.month.models[s.forecast.month.best].mape,
    forecast_week_rmse: s.forecast.week.models[s.forecast.week.best].rmse, forecast_week_mape: s.forecast.week.models[s.forecast.week.best].mape,
  };
  await run.logMetrics(Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v))));
  for (const sc of s.segments.scan) await run.logMetrics({ kmeans_inertia: sc.inertia, kmeans_silhouette: sc.silhouette }, sc.k);
  // a string argument is a file path to the tracker: pass the report's bytes
  await run.logArtifact('validation.json', new TextEncoder().encode(JSON.stringify(s.validation, null, 2)));
  const snap = (t: string) => ({ table: t, snapshot: ws.wh.snapshots.get(t)! });
  const snapshots = ['raw.order_line', 'curated.commerce_lines'].filter((t) => ws.wh.snapshots.has(t)).map(snap);
  const registry = new ModelRegistry(ws.store, { home: ws.config.home });
  const spendBest = s.spend.models[s.spend.best];
  const spend = await registry.registerModel('retail-spend', {
    artifact: {
      kind: 'RetailSpendModel',
      model: s.spend.best,
      features: s.spend.features,
      categories: s.spend.categories,
      countries: s.spend.countries,
      horizon_days: s.spend.horizon_days,
      estimator: c.spend.model.toJSON(),
    },
    metrics: { rmse: spendBest.rmse, mae: spendBest.mae, r2: spendBest.r2, baseline_rmse: s.spend.models.baseline_last_90d.rmse },
    params: { model: s.spend.best, cutoff: s.spend.cutoff, train_cutoff: s.spend.train_cutoff, horizon_days: s.spend.horizon_days },
    lineage: { snapshots, seed: c.opts.seed ?? 0, config: { model: s.spend.best, features: s.spend.features, cutoff: s.spend.cutoff } },
    runId: run.id,
  });
  const seg = await registry.registerModel('retail-segments', {
    artifact: c.seg.model.toJSON(),
    metrics: { silhouette: s.segments.silhouette, k: s.segments.k },
    params: { k: s.segments.k, features: s.segments.features, k_range: c.opts.kRange ?? [3, 8] },
    lineage: { snapshots, seed: c.opts.seed ?? 0, config: { features: s.segments.features, kRange: c.opts.kRange ?? [3, 8] } },
    runId: run.id,
  });
  // this pipeline is the retraining job: a spend model that beats the "last 90 days" baseline
  // becomes the champion the API serves (one that does not waits as challenger); the
  // segmentation has no baseline to beat and is promoted when it is chosen
  const spendAlias = s.spend.beats_baseline ? 'champion' : 'challenger';
  await registry.promote(spend.name, spend.version, {
    alias: spendAlias,
    by: 'tributary run retail',
    reason: `RMSE ${spendBest.rmse.toFixed(2)} vs baseline ${s.spend.models.baseline_last_90d.rmse.toFixed(2)}`,
  });
  await registry.promote(seg.name, seg.version, {
    alias: 'champion',
    by: 'tributary run retail',
    reason: `k=${s.segments.k}, silhouette ${s.segments.silhouette.toFixed(4)}`,
  });
  return {
    run_id: run.id,
    models: [{ name: spend.name, version: spend.version, alias: spendAlias }, { name: seg.name, version: seg.version, alias: 'champion' }],
  };
}

/** The `--json` object: kpis, segments, forecast and spend metrics (and the stage timings). */
export function jsonSummary(s: RetailSummary): Record<string, unknown> {
  const fm = (f: RetailSummary['forecast']['month']) => ({ best: f.best, periods: f.periods, models: f.models, next: f.next });
  return {
    source: s.source,
    kpis: {
      revenue: s.kpis.revenue,
      customers: s.kpis.customers,
      invoices: s.kpis.invoices,
      avg_ticket: s.kpis.avg_ticket,
      churn_rate: s.kpis.churn_rate,
      lines: s.kpis.lines,
      churn_cutoff: s.kpis.churn_cutoff,
    },
    validation: s.validation,
    segments: {
      k: s.segments.k,
      silhouette: round(s.segments.silhouette, 4),
      elbow_k: s.segments.elbow_k,
      profiles: s.segments.profiles,
      scan: s.segments.scan,
      dbscan: s.segments.dbscan,
      rfm_only: s.segments.rfm_only,
    },
    forecast: { month: fm(s.forecast.month), week: fm(s.forecast.week) },
    spend: {
      best: s.spend.best,
      beats_baseline: s.spend.beats_baseline,
      cutoff: s.spend.cutoff,
      models: s.spend.models,
      train_customers: s.spend.train_customers,
      test_customers: s.spend.test_customers,
    },
    tracking: s.tracking,
    stages: s.pipeline.stages.map((x) => ({ name: x.name, seconds: round(x.seconds, 3), rows: x.rows })),
    seconds: round(s.pipeline.seconds, 3),
  };
}
