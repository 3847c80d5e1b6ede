// `tributary run retail [--data FILE] [--json] [--resume [RUN_ID]]`: the sales-analytics pipeline
// end to end (src/pipeline/retail.ts, a named pipeline on the runner). This file parses options
// and prints; the work is runRetail().
import type { Command } from 'commander';
import { jsonSummary, runRetail, type RetailSummary } from '../pipeline/retail.ts';
import { formatSummary } from '../pipeline/runner.ts';
import { openWorkspace } from '../warehouse/workspace.ts';
import { fail, printJson, printTable, usage } from './output.ts';
import { registerRun } from './pipeline.ts';

interface Opts {
  data?: string;
  json?: boolean;
  resume?: boolean | string;
  seed: string;
  kMin?: string;
  kMax?: string;
  customers?: string;
  months?: string;
  track: boolean;
}

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`${flag} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function printHuman(s: RetailSummary): void {
  const k = s.kpis;
  console.log(`\nsource: ${s.source.kind === 'file' ? s.source.path : 'generated retail world'} ` +
    `(${s.source.rows.toLocaleString('en-US')} rows, ${s.source.quarantined} quarantined)`);
  console.log('\ncleaning rules (rows removed, charged to the first rule a line fails):');
  printTable(s.validation.map((v) => ({ step: v.step, rule: v.rule, action: v.action, rows: v.rows, rows_matching: v.rows_matching })));
  console.log(`\nKPIs: revenue ${k.revenue.toLocaleString('en-US', { minimumFractionDigits: 2 })}, ${k.customers.toLocaleString('en-US')} customers, ` +
    `${k.invoices.toLocaleString('en-US')} invoices, average ticket ${k.avg_ticket.toFixed(2)}, ` +
    `churn ${(100 * k.churn_rate).toFixed(1)}% (${k.churn_horizon_days} days after ${k.churn_cutoff.slice(0, 10)})`);
  for (const g of ['month', 'week'] as const) {
    const f = s.forecast[g];
    console.log(`\nforecast by ${g} (${f.periods} periods, rolling-origin backtest; best ${f.best}, ` +
      `next ${f.next.period}: ${f.next.forecast[f.best].toFixed(0)}):`);
    printTable(Object.entries(f.models).map(([m, x]) => ({ model: m, mae: x.mae, rmse: x.rmse, mape: x.mape, folds: x.folds })));
  }
  console.log(`\nspend in the ${s.spend.horizon_days} days after ${s.spend.cutoff.slice(0, 10)} (trained at ${s.spend.train_cutoff.slice(0, 10)}; ` +
    `${s.spend.train_customers} train / ${s.spend.test_customers} test customers; ` +
    `best ${s.spend.best}, ${s.spend.beats_baseline ? 'beats' : 'does NOT beat'} the baseline):`);
  printTable(Object.entries(s.spend.models).map(([m, x]) => ({ model: m, rmse: x.rmse, mae: x.mae, r2: x.r2 })));
  const sg = s.segments;
  console.log(`\nsegments: KMeans k=${sg.k} (silhouette ${sg.silhouette.toFixed(3)} on ${sg.features.length} features); ` +
    `RFM only: k=${sg.rfm_only.k} silhouette ${sg.rfm_only.silhouette.toFixed(3)}` +
    `${sg.rfm_only.silhouette_at_k4 !== null ? ` (k=4: ${sg.rfm_only.silhouette_at_k4.toFixed(3)})` : ''}; ` +
    `DBSCAN eps ${sg.dbscan.eps.toFixed(3)}: ${sg.dbscan.clusters} clusters, ${sg.dbscan.noise} noise`);
  printTable(sg.scan.map((x) => ({
    k: x.k,
    inertia: x.inertia,
    silhouette: x.silhouette,
    chosen: x.k === sg.k ? 'silhouette' : '',
    elbow: x.k === sg.elbow_k ? 'elbow' : '',
  })));
  console.log('');
  printTable(sg.profiles.map((p) => ({
    segment: p.segment,
    name: p.name,
    size: p.size,
    recency: p.mean_recency,
    frequency: p.mean_frequency,
    monetary: p.mean_monetary,
    revenue_share: p.revenue_share,
    top_category: p.top_category,
  })));
  if ('run_id' in s.tracking) {
    console.log(`\ntracking run ${s.tracking.run_id}; registered ${s.tracking.models.map((m) => `${m.name} v${m.version} (${m.alias})`).join(', ')}`);
  }
  console.log('\n' + formatSummary(s.pipeline));
}

export function register(program: Command): void {
  const run = program.command('run').description('run a pipeline end to end (tracked; --full rebuilds, --resume continues an unfinished run)');
  registerRun(run, ['retail', 'train']); // their own commands: `run retail` below, `tributary train`
  run.command('retail')
    .description('sales analytics: clean, KPIs, forecasts, spend prediction, segments; tracked and registered')
    .option('--data <file>', 'order lines (the Online Retail CSV, or order_line NDJSON/Parquet); default: the generated retail world')
    .option('--json', 'print one JSON object (kpis, segments, forecast, spend, stages)')
    .option('--seed <n>', 'seed of the world and the models', '0')
    .option('--k-min <n>', 'smallest k tried by KMeans (default 3)')
    .option('--k-max <n>', 'largest k tried by KMeans (default 8)')
    .option('--customers <n>', 'retail world: customers (default 2000)')
    .option('--months <n>', 'retail world: months of history (default 24)')
    .option('--no-track', 'do not record the metrics nor register the models')
    .option('--resume [run_id]', 'resume the newest unfinished retail run (or this one), reusing the steps it finished')
    .action(async (o: Opts) => {
      // no range given: the pipeline's defaults (3..8 for the segmentation; the log-RFM
      // comparison scan over the scikit-learn anchor's own 3..6)
      const given = o.kMin !== undefined || o.kMax !== undefined;
      const kMin = int('--k-min', o.kMin ?? '3', 2)!, kMax = int('--k-max', o.kMax ?? '8', 2)!;
      if (kMax < kMin) usage(`--k-max (${kMax}) must be >= --k-min (${kMin})`);
      const ws = await openWorkspace();
      try {
        const s = await runRetail(ws, {
          data: o.data, seed: int('--seed', o.seed, 0), kRange: given ? [kMin, kMax] : undefined, track: o.track, resume: o.resume,
          world: { customers: int('--customers', o.customers, 20), months: int('--months', o.months, 6) },
          log: (l) => process.stderr.write(l + '\n'),
        }).catch((e: Error) => fail(e.message));
        if (o.json) printJson(jsonSummary(s));
        else printHuman(s);
      } finally { await ws.close(); }
    });
}
