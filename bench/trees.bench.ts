// Tree quality and speed on real public regression data sets (bench/data/real-regression.ts:
// ggplot2's diamonds, AER's CPS1988, carData's GSSvocab, all from Debian's R packages), side by
// side with scikit-learn's RandomForestRegressor and XGBoost's hist booster at the same settings
// on the same seeded 80/20 splits, in one run.
// Targets (issue 18): per data set, test RMSE within 0.5% of the anchor's; fit time forest <= 0.5x
// scikit-learn's, boosting <= 1.5x XGBoost's.
// Usage: npm run bench -- trees [--sets diamonds,cps1988,gssvocab]
import { join } from 'node:path';
import { benchOut, report, runAnchor, timeIt, type Row } from './lib.ts';
import { loadEncoded } from './data/csv.ts';
import { REAL_SET_NAMES, realRegressionSet } from './data/real-regression.ts';
import { verdict, type Check } from './data/verdict.ts';
import { rmse } from '../src/ml/metrics/regression.ts';
import { GradientBoostingRegressor, RandomForestRegressor } from '../src/ml/tree/index.ts';
import { fileURLToPath } from 'node:url';

const at = process.argv.indexOf('--sets');
const sets = at > 0 ? process.argv[at + 1]!.split(',') : REAL_SET_NAMES;
const threads = Number(process.env.TRIBUTARY_THREADS) || 2;
const anchorPath = fileURLToPath(new URL('./anchors/trees_anchor.py', import.meta.url));
const checks: Check[] = [];

for (const name of sets) {
  const s = realRegressionSet(name, join(benchOut, 'real-regression'));
  const d = loadEncoded(s.train, s.test, s.target);
  console.log(`\n${s.source} (Debian ${s.debian}): ${s.rows} rows, ${d.Xtr.rows} train / ${d.Xte.rows} test, ${d.Xtr.cols} encoded features, target ${s.target}`);
  const anchor = runAnchor(anchorPath, [s.train, s.test, s.target]);
  const aRf = anchor.find((r) => r.model === 'sklearn.RandomForest')!;
  const aGb = anchor.find((r) => r.model === 'xgboost.hist')!;
  const rf = new RandomForestRegressor({ nEstimators: 100, nJobs: threads, seed: 0 });
  const tRf = (await timeIt(() => rf.fit(d.Xtr, d.ytr))).s;
  const rfRmse = rmse(d.yte, rf.predict(d.Xte));
  const gb = new GradientBoostingRegressor({ nEstimators: 300, maxDepth: 6, learningRate: 0.1, lambda: 1, minChildWeight: 1, maxBins: 256, seed: 0 });
  const tGb = (await timeIt(() => gb.fit(d.Xtr, d.ytr))).s;
  const gbRmse = rmse(d.yte, gb.predict(d.Xte));
  const rows: Row[] = [
    { name: 'forest (100 trees, all features)', anchor: 'sklearn RandomForestRegressor(n_jobs=2)', anchor_rmse: aRf.rmse, ours_rmse: rfRmse, rmse_ratio: rfRmse / aRf.rmse, anchor_fit_s: aRf.fit_s, ours_fit_s: tRf, fit_time_ratio: tRf / aRf.fit_s },
    { name: 'boosting (300 rounds, depth 6, lr 0.1, lambda 1, mcw 1, 256 bins)', anchor: 'xgboost hist (nthread 2)', anchor_rmse: aGb.rmse, ours_rmse: gbRmse, rmse_ratio: gbRmse / aGb.rmse, anchor_fit_s: aGb.fit_s, ours_fit_s: tGb, fit_time_ratio: tGb / aGb.fit_s },
  ];
  report(`trees: ${s.source}`, rows);
  checks.push(
    { what: `${name} forest RMSE ours / sklearn`, value: rfRmse / aRf.rmse, target: 1.005, cmp: '<=' },
    { what: `${name} forest fit time ours / sklearn`, value: tRf / aRf.fit_s, target: 0.5, cmp: '<=' },
    { what: `${name} boosting RMSE ours / XGBoost`, value: gbRmse / aGb.rmse, target: 1.005, cmp: '<=' },
    { what: `${name} boosting fit time ours / XGBoost`, value: tGb / aGb.fit_s, target: 1.5, cmp: '<=' },
  );
}
verdict('trees on real data (issue 18)', checks);
