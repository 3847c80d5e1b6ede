// Prediction speed of a 100-tree random forest (the diamonds model, fully grown trees, as
// `tributary train regression --model random-forest --trees 100` and scikit-learn's default give;
// both node counts are printed to show the forests are the same size):
// microseconds per single-row prediction (the serving path, target < 20 us) and batch rows/s,
// beside scikit-learn's RandomForestRegressor(100) on the same files (n_jobs=1 when predicting,
// its fastest setting for one row).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { benchOut, PYTHON, report, speedup } from './lib.ts';
import { writeDiamondsSplit } from './data/diamonds.ts';
import { loadEncoded } from './data/csv.ts';
import { RandomForestRegressor } from '../src/ml/tree/index.ts';
import { row } from '../src/ml/core/matrix.ts';
import { verdict } from './data/verdict.ts';

const paths = writeDiamondsSplit(benchOut);
const d = loadEncoded(paths.train, paths.test, 'price');
const m = new RandomForestRegressor({ nEstimators: 100, nJobs: Number(process.env.TRIBUTARY_THREADS) || 2 }).fit(d.Xtr, d.ytr);
const nodes = m.ensemble.trees.reduce((a, t) => a + t.feature.length, 0);
const rowsX = Array.from({ length: d.Xte.rows }, (_, i) => Float64Array.from(row(d.Xte, i)));

// single rows: many passes over the test rows, median of 9 (the machine is shared)
let sink = 0;
m.warmUp(); // the one-off compile of the fast form, as the server does at load
for (const x of rowsX) sink += m.predictRow(x); // warm-up: JIT
const load = loadavg()[0]!;
const single: number[] = [];
for (let rep = 0; rep < 9; rep++) {
  const t = process.hrtime.bigint();
  for (const x of rowsX) sink += m.predictRow(x);
  single.push(Number(process.hrtime.bigint() - t) / 1e3 / rowsX.length);
}
const batch: number[] = [];
for (let rep = 0; rep < 5; rep++) {
  const t = process.hrtime.bigint();
  const p = m.predict(d.Xte);
  sink += p[0]!;
  batch.push(d.Xte.rows / (Number(process.hrtime.bigint() - t) / 1e9));
}
if (!Number.isFinite(sink)) throw new Error('bad predictions');
const us = Math.min(...single), median = single.sort((a, b) => a - b)[4]!;

const py = `
import json, sys, time
import numpy as np, pandas as pd
from sklearn.ensemble import RandomForestRegressor
tr = pd.read_csv(sys.argv[1]); te = pd.read_csv(sys.argv[2]); n = len(tr)
both = pd.get_dummies(pd.concat([tr, te]).drop(columns=['price']), dtype=float).to_numpy(float)
y = tr['price'].to_numpy(float)
m = RandomForestRegressor(n_estimators=100, n_jobs=2, random_state=0).fit(both[:n], y)
m.n_jobs = 1
X = both[n:n + 300]
for x in X[:20]: m.predict(x[None, :])
runs = []
for rep in range(3):
    t = time.perf_counter()
    for x in X: m.predict(x[None, :])
    runs.append((time.perf_counter() - t) / len(X) * 1e6)
t = time.perf_counter(); m.predict(both[n:]); bs = time.perf_counter() - t
print(json.dumps(dict(us_best=min(runs), us_median=sorted(runs)[1], rows_per_s=(len(both) - n) / bs,
    nodes=int(sum(e.tree_.node_count for e in m.estimators_)))))
`;
const r = spawnSync(PYTHON, ['-c', py, paths.train, paths.test], { encoding: 'utf8', maxBuffer: 64 << 20 });
if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
const sk = JSON.parse(r.stdout.trim().split('\n').pop()!) as { us_best: number; us_median: number; rows_per_s: number; nodes: number };
report('random forest prediction (100 trees, diamonds-like)', [
  {
    name: 'sklearn single row (predict of 1 x d, n_jobs=1)',
    us_per_row_best: Number(sk.us_best.toFixed(1)),
    us_per_row_median: Number(sk.us_median.toFixed(1)),
    nodes: sk.nodes,
  },
  {
    name: 'ours single row (predictRow)',
    us_per_row_best: Number(us.toFixed(2)),
    us_per_row_median: Number(median.toFixed(2)),
    target_us: 20,
    trees: 100,
    nodes,
    load_avg_1m: Number(load.toFixed(2)),
    vs_sklearn: speedup(sk.us_median, median),
  },
  { name: 'sklearn batch (predict, 10.8k rows)', rows_per_s_best: Math.round(sk.rows_per_s) },
  { name: 'ours batch (predict, 10.8k rows)', rows_per_s_best: Math.round(Math.max(...batch)), vs_sklearn: speedup(Math.max(...batch), sk.rows_per_s) },
]);
verdict('random forest prediction (100 trees)', [
  { what: `one-row predict, median of 9 passes (microseconds, load ${load.toFixed(1)})`, value: median, target: 20, cmp: '<' },
]);
