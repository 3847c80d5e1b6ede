// Prediction speed of a 100-tree random forest (the diamonds model, fully grown trees):
// microseconds per single-row prediction (the serving path, target < 20 us) and batch rows/s.
import { benchOut, report } from './lib.ts';
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

// single rows: many passes over the test rows, best of 5 (the machine is shared)
let sink = 0;
for (const x of rowsX) sink += m.predictRow(x); // warm-up and JIT
const single: number[] = [];
for (let rep = 0; rep < 5; rep++) {
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
const us = Math.min(...single), median = single.sort((a, b) => a - b)[2]!;
report('random forest prediction (100 trees, diamonds-like)', [
  { name: 'single row (predictRow)', us_per_row_best: Number(us.toFixed(2)), us_per_row_median: Number(median.toFixed(2)), target_us: 20, trees: 100, nodes },
  { name: 'batch (predict, 10.8k rows)', rows_per_s_best: Math.round(Math.max(...batch)) },
]);
verdict('random forest prediction (100 trees)', [
  { what: 'one-row predict, median of 5 passes (microseconds)', value: median, target: 20, cmp: '<' },
]);
