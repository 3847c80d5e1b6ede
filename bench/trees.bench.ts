// Tree quality and speed on real public regression data sets (bench/data/real-regression.ts:
// ggplot2's diamonds, AER's CPS1988, carData's GSSvocab, all from Debian's R packages), side by
// side with scikit-learn's RandomForestRegressor and XGBoost's hist booster at the same settings
// on the same seeded 80/20 splits.
// Targets (issue 18): per data set, test RMSE within 0.5% of the anchor's; fit time forest <= 0.5x
// scikit-learn's, boosting <= 1.5x XGBoost's.
// The machine is shared, so each set runs as --repeat interleaved pairs (anchor then ours, ours
// then anchor, ...): the fit-time ratio checked is the median of the pairs' ratios; each side's
// CPU seconds (all its threads) are printed beside, as a figure the load moves less.
// Usage: npm run bench -- trees [--sets diamonds,cps1988,gssvocab] [--repeat 3]
import { join } from 'node:path';
import { benchOut, median, report, runAnchor, type Row } from './lib.ts';
import { loadEncoded, type Encoded } from './data/csv.ts';
import { REAL_SET_NAMES, realRegressionSet } from './data/real-regression.ts';
import { verdict, type Check } from './data/verdict.ts';
import { rmse } from '../src/ml/metrics/regression.ts';
import { GradientBoostingRegressor, RandomForestRegressor } from '../src/ml/tree/index.ts';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const sets = arg('--sets')?.split(',') ?? REAL_SET_NAMES;
const repeat = Math.max(1, Number(arg('--repeat') ?? 3));
const threads = Number(process.env.TRIBUTARY_THREADS) || 2;
const anchorPath = fileURLToPath(new URL('./anchors/trees_anchor.py', import.meta.url));
const checks: Check[] = [];

interface Fit { fit_s: number; cpu_s: number; rmse: number }

function timed(fit: () => void, predict: () => Float64Array, yte: Float64Array): Fit {
  const c0 = process.cpuUsage(), t = process.hrtime.bigint();
  fit();
  const fit_s = Number(process.hrtime.bigint() - t) / 1e9, c = process.cpuUsage(c0);
  return { fit_s, cpu_s: (c.user + c.system) / 1e6, rmse: rmse(yte, predict()) };
}

function ours(d: Encoded): { rf: Fit; gb: Fit } {
  const rf = new RandomForestRegressor({ nEstimators: 100, nJobs: threads, seed: 0 });
  const gb = new GradientBoostingRegressor({ nEstimators: 300, maxDepth: 6, learningRate: 0.1, lambda: 1, minChildWeight: 1, maxBins: 256, seed: 0 });
  return {
    rf: timed(() => rf.fit(d.Xtr, d.ytr), () => rf.predict(d.Xte), d.yte),
    gb: timed(() => gb.fit(d.Xtr, d.ytr), () => gb.predict(d.Xte), d.yte),
  };
}

function anchor(paths: string[]): { rf: Fit; gb: Fit } {
  const out = runAnchor(anchorPath, paths);
  const pick = (model: string): Fit => {
    const r = out.find((x) => x.model === model);
    if (!r) throw new Error(`anchor printed no ${model} line: ${JSON.stringify(out)}`);
    return { fit_s: r.fit_s, cpu_s: r.cpu_s, rmse: r.rmse };
  };
  return { rf: pick('sklearn.RandomForest'), gb: pick('xgboost.hist') };
}

const f3 = (v: number) => Number(v.toFixed(3));

for (const name of sets) {
  const s = realRegressionSet(name, join(benchOut, 'real-regression'));
  const d = loadEncoded(s.train, s.test, s.target);
  const shape = `${d.Xtr.rows} train / ${d.Xte.rows} test, ${d.Xtr.cols} encoded features`;
  console.log(`\n${s.source} (Debian ${s.debian}): ${s.rows} rows, ${shape}, target ${s.target}`);
  const pairs: Array<{ a: { rf: Fit; gb: Fit }; o: { rf: Fit; gb: Fit }; load: number }> = [];
  for (let r = 0; r < repeat; r++) {
    const load = loadavg()[0]!;
    let a, o;
    if (r % 2 === 0) { a = anchor([s.train, s.test, s.target]); o = ours(d); } else { o = ours(d); a = anchor([s.train, s.test, s.target]); }
    pairs.push({ a, o, load });
    const times = `forest ${f3(o.rf.fit_s)} vs ${f3(a.rf.fit_s)} s, boosting ${f3(o.gb.fit_s)} vs ${f3(a.gb.fit_s)} s`;
    console.log(`pair ${r + 1}/${repeat} (load ${load.toFixed(1)}): ${times}`);
  }
  const last = pairs[pairs.length - 1]!;
  const row = (which: 'rf' | 'gb', label: string, anchorName: string): Row => {
    const ratio = median(pairs.map((p) => p.o[which].fit_s / p.a[which].fit_s));
    return {
      name: label, anchor: anchorName,
      anchor_rmse: last.a[which].rmse, ours_rmse: last.o[which].rmse, rmse_ratio: last.o[which].rmse / last.a[which].rmse,
      anchor_fit_s: median(pairs.map((p) => p.a[which].fit_s)), ours_fit_s: median(pairs.map((p) => p.o[which].fit_s)), fit_time_ratio: ratio,
      anchor_cpu_s: median(pairs.map((p) => p.a[which].cpu_s)), ours_cpu_s: median(pairs.map((p) => p.o[which].cpu_s)),
    };
  };
  const rf = row('rf', 'forest (100 trees, all features)', `sklearn RandomForestRegressor(n_jobs=${threads})`);
  const gb = row('gb', 'boosting (300 rounds, depth 6, lr 0.1, lambda 1, mcw 1, 256 bins)', 'xgboost hist (nthread 2)');
  report(`trees: ${s.source} (medians of ${repeat} interleaved pairs, load ${pairs.map((p) => p.load.toFixed(1)).join('/')})`, [rf, gb]);
  checks.push(
    { what: `${name} forest RMSE ours / sklearn`, value: rf.rmse_ratio as number, target: 1.005, cmp: '<=' },
    { what: `${name} forest fit time ours / sklearn`, value: rf.fit_time_ratio as number, target: 0.5, cmp: '<=' },
    { what: `${name} boosting RMSE ours / XGBoost`, value: gb.rmse_ratio as number, target: 1.005, cmp: '<=' },
    { what: `${name} boosting fit time ours / XGBoost`, value: gb.fit_time_ratio as number, target: 1.5, cmp: '<=' },
  );
}
verdict('trees on real data (issue 18)', checks);
