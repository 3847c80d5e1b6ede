// The whole retail pipeline (`tributary run retail --data online-retail.csv.gz`: ingest into
// the lake, cleaning SQL models, KPIs, forecasts, spend models, segmentation with t-SNE, lake
// exports, tracking and registry) against the pandas + scikit-learn anchor
// (../shared/anchors/segmentation_sklearn.py: read_csv, RFM, KMeans k = 3..6, PCA, and a 1M-row
// synthetic KMeans) on the 541,909-row file, both as fresh processes in the same run.
// Wall-clock times include each runtime's start-up (python imports; node from the CLI's bundle). Ratio =
// anchor / ours (above 1: we are faster). The anchor does far less work (no forecast, no spend
// model, no t-SNE, no DBSCAN, no lake, no registry), so its retail steps alone are shown too,
// and both sides' work is listed in the output. Ours runs forecast, spend and segment
// concurrently: their stage times overlap (each is measured from the group's start).
// The machine is shared: the two run as N interleaved pairs (anchor, ours; default 3), every
// pair's ratio is printed, and the headline is their median; the stage and result tables are
// the last pair's.
// Usage: npm run bench -- retail [FILE] [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot, sharedPath } from '../src/util/paths.ts';
import { median, report, runAnchor, speedup, timeIt, type Row } from './lib.ts';
import { cliBundle } from '../bin/cli-bundle.js';

/**
 * CPU seconds (user + system) of this process's finished children, from /proc/self/stat
 * (cutime + cstime, in clock ticks of 1/100 s): each side's CPU time, steadier than wall time
 * on a machine shared with other work. null off Linux.
 */
function childCpu(): number | null {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[13]) + Number(rest[14])) / 100; // fields 16 and 17 of stat(5)
  } catch { return null; }
}
const cpuSpan = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 3;
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: expected a positive integer');
const file = args[0] ?? sharedPath('data', 'online-retail.csv.gz');
if (!file) throw new Error('../shared/data/online-retail.csv.gz not found: pass a file or put ../shared beside the checkout');

console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${process.env.TRIBUTARY_THREADS ?? 'default'} threads)`);
console.log(`anchor (pandas + scikit-learn): read_csv; filter (customer, quantity > 0, price > 0, no C invoice); RFM by groupby;
  log1p + StandardScaler; KMeans k = 3..6 (n_init 10) each with an exact silhouette; PCA(2); then KMeans on 1M x 8 synthetic blobs.
ours (tributary run retail): CSV → typed, quarantine-checked Parquet lake table (13 monthly files) + catalog snapshot;
  7 SQL models materialised as lake snapshots (dedup, taxonomy categories, cleaning rules, validation report, KPI cube, churn);
  KPIs; forecast (monthly + weekly rolling-origin backtests of seasonal naive, ridge, random forest, boosting);
  spend prediction (features at stacked cutoffs, ridge / random forest / boosting vs the 90-day baseline);
  segmentation (log RFM + category mix: KMeans k = 3..8 x 5 restarts with exact silhouettes, DBSCAN with k-distance eps,
  PCA 2-D/3-D, t-SNE 2-D of 1,000 customers; plus the anchor's own scan, log RFM k = 3..6 x 10 restarts); lake exports; tracking run and
  two registered, promoted models. No synthetic 1M KMeans (bench kmeans covers that).`);

type OursJson = {
  kpis: { revenue: number; customers: number; invoices: number; avg_ticket: number; churn_rate: number };
  segments: { k: number; silhouette: number; rfm_only: { k: number; silhouette: number; silhouette_at_k4: number | null } };
  spend: { best: string; beats_baseline: boolean; models: Record<string, { rmse: number }> };
  stages: { name: string; seconds: number; rows: number | null }[];
  seconds: number;
};

/** One pair: the anchor script, then our pipeline in a fresh home, each a fresh process. */
async function pair(home: string) {
  const c0 = childCpu();
  const anchor = await timeIt(() => runAnchor('segmentation_sklearn.py', [file]));
  const anchorCpu = cpuSpan(c0, childCpu());
  rmSync(home, { recursive: true, force: true });
  const c1 = childCpu();
  const ours = await timeIt(() => spawnSync(process.execPath, [join(packageRoot, 'bin', 'tributary.js'), 'run', 'retail', '--data', file, '--json'], {
    encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, TRIBUTARY_HOME: home, LOG_LEVEL: 'silent' }, cwd: tmpdir(),
  }));
  const oursCpu = cpuSpan(c1, childCpu());
  if (ours.value.status !== 0) throw new Error(`tributary run retail failed (${ours.value.status}):\n${ours.value.stderr}`);
  return { anchor, anchorCpu, ours, oursCpu, j: JSON.parse(ours.value.stdout) as OursJson };
}

// the CLI's bundle is built once per source change (bin/cli-bundle.js): built here, as after any
// first run, so that no pair times the build
await cliBundle();
const home = mkdtempSync(join(tmpdir(), 'trib-bench-retail-'));
try {
  const pairs: Awaited<ReturnType<typeof pair>>[] = [];
  for (let r = 0; r < runs; r++) {
    const p = await pair(home);
    pairs.push(p);
    console.log(`pair ${r + 1}/${runs}: anchor ${p.anchor.s.toFixed(2)} s, ours ${p.ours.s.toFixed(2)} s: ${speedup(p.anchor.s, p.ours.s)}`);
  }
  const { anchor, anchorCpu, ours, oursCpu, j } = pairs.at(-1)!;
  const steps = anchor.value;
  const retailSteps = steps.filter((s) => !String(s.step).includes('1Mx8'));
  const anchorRetail = retailSteps.reduce((a, s) => a + Number(s.s), 0);
  const rfm = steps.find((s) => s.step === 'pandas.rfm')!;
  const k4 = steps.find((s) => s.step === 'sklearn.KMeans(k=4,n_init=10)')!;
  const anchorBest = steps.filter((s) => String(s.step).startsWith('sklearn.KMeans(k=')).reduce((a, b) => (b.silhouette > a.silhouette ? b : a));
  const ratios = pairs.map((p) => p.anchor.s / p.ours.s);

  const rows: Row[] = [
    ...steps.map((s) => ({ name: `anchor ${s.step}`, s: Number(s.s) })),
    { name: 'anchor retail steps (sum, start-up excluded)', s: anchorRetail },
    { name: 'anchor script, wall clock (python3 process)', s: anchor.s, cpu_s: anchorCpu ?? '' },
    ...j.stages.map((s) => ({ name: `ours ${s.name}`, s: s.seconds, rows: s.rows ?? '' })),
    { name: 'ours pipeline (wall, stages forecast/spend/segment overlap)', s: j.seconds },
    {
      name: 'ours source + clean + kpis (vs anchor read_csv + rfm)',
      s: j.stages.filter((x) => ['source', 'clean', 'kpis'].includes(x.name)).reduce((a, x) => a + x.seconds, 0),
      anchor: Number(steps[0]!.s) + Number(rfm.s),
    },
    {
      name: 'ours tributary run retail, wall clock (node process)',
      s: ours.s,
      cpu_s: oursCpu ?? '',
      vs_anchor_wall: speedup(anchor.s, ours.s),
      vs_anchor_retail_steps: speedup(anchorRetail, ours.s),
      vs_anchor_cpu: anchorCpu !== null && oursCpu ? speedup(anchorCpu, oursCpu) : '',
    },
  ];
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  report(`retail pipeline on ${file.split('/').pop()}, last pair (wall-clock ratio anchor/ours: ${speedup(anchor.s, ours.s)})`, rows);
  report(`retail pipeline, ${runs} interleaved pairs (median wall-clock ratio anchor/ours: ${median(ratios).toFixed(2)}x)`, [
    ...pairs.map((p, r) => ({
      name: `pair ${r + 1}`,
      anchor_s: p.anchor.s,
      ours_s: p.ours.s,
      anchor_cpu_s: p.anchorCpu ?? '',
      ours_cpu_s: p.oursCpu ?? '',
      ratio: speedup(p.anchor.s, p.ours.s),
    })),
    {
      name: 'median',
      anchor_s: median(pairs.map((p) => p.anchor.s)),
      ours_s: median(pairs.map((p) => p.ours.s)),
      ratio: `${median(ratios).toFixed(2)}x`,
      min_ratio: `${Math.min(...ratios).toFixed(2)}x`,
      max_ratio: `${Math.max(...ratios).toFixed(2)}x`,
    },
  ]);

  report('retail results, ours vs anchor', [
    { name: 'revenue', ours: j.kpis.revenue, anchor: rfm.revenue, reference: 8911407.9 },
    { name: 'customers', ours: j.kpis.customers, anchor: rfm.customers, reference: 4338 },
    { name: 'invoices', ours: j.kpis.invoices, anchor: '', reference: 18532 },
    { name: 'avg_ticket', ours: j.kpis.avg_ticket, anchor: rfm.avg_ticket },
    { name: 'silhouette log RFM, k=4', ours: j.segments.rfm_only.silhouette_at_k4 ?? '', anchor: k4.silhouette },
    {
      name: 'silhouette log RFM, chosen k',
      ours: `${j.segments.rfm_only.silhouette.toFixed(4)} (k=${j.segments.rfm_only.k})`,
      anchor: `${anchorBest.silhouette} (${anchorBest.step})`,
    },
    { name: 'silhouette RFM + category mix, chosen k', ours: `${j.segments.silhouette} (k=${j.segments.k})`, anchor: '' },
    { name: 'churn rate (90 days)', ours: j.kpis.churn_rate, anchor: '' },
    {
      name: `spend RMSE, best (${j.spend.best})`,
      ours: j.spend.models[j.spend.best]!.rmse,
      anchor: '',
      baseline_last_90d: j.spend.models.baseline_last_90d!.rmse,
      beats_baseline: j.spend.beats_baseline,
    },
  ]);
} finally {
  rmSync(home, { recursive: true, force: true });
}
