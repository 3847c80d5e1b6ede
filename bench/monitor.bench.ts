// Drift over 1,000,000 inference rows x 20 features against a 250,000-row training snapshot:
// ours (src/monitoring/drift.ts: PSI and two-sample KS per feature, features spread over the
// worker threads) against scipy.stats.ks_2samp plus a numpy PSI (bench/anchors/monitor_drift.py)
// on the same float64 columns, in one run; the ratio of times and the largest difference of
// every statistic. Half the features drift (shifted mean, wider spread, a mixture), half do not.
// Needs Debian's python3-scipy (apt-get install python3-scipy).
// Usage: npm run bench -- monitor [rows=1000000] [features=20] [refRows=250000]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/ml/core/rng.ts';
import { columnDrift } from '../src/monitoring/drift-pool.ts';
import { closeThreadPool } from '../src/util/thread-pool.ts';
import { defaultThreads } from '../src/util/workers.ts';
import { PYTHON, benchOut, report, speedup, timeIt, type Row } from './lib.ts';
import { verdict } from './data/verdict.ts';
import { packageRoot } from '../src/util/paths.ts';

const n = Number(process.argv[2] ?? 1_000_000), k = Number(process.argv[3] ?? 20), nRef = Number(process.argv[4] ?? 250_000);
const threads = defaultThreads();

const scipy = spawnSync(PYTHON, ['-c', 'import scipy, numpy; print(scipy.__version__, numpy.__version__)'], { encoding: 'utf8' });
if (scipy.status !== 0) {
  console.error(`the anchor needs scipy: ${PYTHON} cannot import it. Install Debian's package: apt-get install -y python3-scipy`);
  process.exit(1);
}
console.log(`anchor: Debian ${PYTHON}, scipy ${scipy.stdout.trim().split(' ')[0]}, numpy ${scipy.stdout.trim().split(' ')[1]} (python3-scipy from Debian)`);

const dir = join(benchOut, 'monitor');
mkdirSync(dir, { recursive: true });
const rng = new Rng(7);
const ref: Float64Array[] = [], cur: Float64Array[] = [];
for (let j = 0; j < k; j++) {
  const r = new Float64Array(nRef), c = new Float64Array(n);
  const kind = j % 4;
  for (let i = 0; i < nRef; i++) r[i] = kind === 3 ? Math.exp(rng.normal()) : rng.normal();
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    // 0: no drift; 1: mean shift of 0.05 * (j + 1) sd; 2: spread x1.3 (j odd: none); 3: log-normal, 10% from another mode
    c[i] = kind === 0 ? z : kind === 1 ? z + 0.05 * (j + 1) : kind === 2 ? z * (j % 8 === 2 ? 1.3 : 1) : rng.random() < 0.1 ? 3 + z : Math.exp(z);
  }
  // a few ties, as real features have (rounded values)
  if (j % 5 === 4) { for (let i = 0; i < nRef; i++) r[i] = Math.round(r[i]! * 100) / 100; for (let i = 0; i < n; i++) c[i] = Math.round(c[i]! * 100) / 100; }
  ref.push(r); cur.push(c);
  writeFileSync(join(dir, `ref_${j}.f64`), r);
  writeFileSync(join(dir, `cur_${j}.f64`), c);
}

function anchor(): { s: number; step: string; features: { psi: number; ks: number; ks_pvalue: number }[] } {
  const p = spawnSync(PYTHON, [join(packageRoot, 'bench', 'anchors', 'monitor_drift.py'), dir, String(k)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (p.status !== 0) throw new Error(`anchor failed: ${p.stderr}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!);
}

const names = ref.map((_, j) => `f${j}`);
const a1 = anchor();
const warm = await timeIt(() => columnDrift(names, ref.map((r) => r.subarray(0, 1000)), cur.map((c) => c.subarray(0, 1000)), { threads }));
const o1 = await timeIt(() => columnDrift(names, ref, cur, { threads }));
const o2 = await timeIt(() => columnDrift(names, ref, cur, { threads }));
const o3 = await timeIt(() => columnDrift(names, ref, cur, { threads: 1 }));
const a2 = anchor();
await closeThreadPool();

const ours = o1.value;
let dPsi = 0, dKs = 0, dP = 0;
ours.forEach((f, j) => {
  const s = a1.features[j]!;
  dPsi = Math.max(dPsi, Math.abs(f.psi - s.psi));
  dKs = Math.max(dKs, Math.abs(f.ks - s.ks));
  dP = Math.max(dP, Math.abs(f.ks_pvalue - s.ks_pvalue));
});
const bestAnchor = Math.min(a1.s, a2.s), bestOurs = Math.min(o1.s, o2.s);
const rows: Row[] = [
  { name: `${a1.step} (run 1, before ours)`, s: a1.s },
  { name: `ours PSI + KS, ${threads} threads`, s: o1.s, vs_scipy: speedup(a1.s, o1.s) },
  { name: `ours PSI + KS, ${threads} threads, repeat`, s: o2.s, vs_scipy: speedup(a1.s, o2.s) },
  { name: 'ours PSI + KS, 1 thread', s: o3.s, vs_scipy: speedup(a1.s, o3.s) },
  { name: `${a2.step} (run 2, after ours)`, s: a2.s },
  { name: 'best of each side: scipy / ours', s: bestAnchor, ours_s: bestOurs, vs_scipy: speedup(bestAnchor, bestOurs) },
  { name: 'ours worker start-up (once per process)', s: warm.s },
];
report(`drift ${n} rows x ${k} features vs ${nRef} reference rows`, rows);
report('statistics, ours vs scipy/numpy (max abs difference over features)', [
  { name: 'PSI', max_abs_diff: dPsi },
  { name: 'KS statistic', max_abs_diff: dKs },
  { name: 'KS p-value (ours asymptotic with Stephens\' correction; scipy kstwo exact-n)', max_abs_diff: dP },
]);
report('per feature', ours.map((f, j) => {
  const a = a1.features[j]!;
  return { name: f.feature, psi: f.psi, psi_scipy: a.psi, ks: f.ks, ks_scipy: a.ks, p: f.ks_pvalue, p_scipy: a.ks_pvalue };
}));
verdict(`drift ${n} x ${k}`, [
  { what: 'seconds ours / scipy+numpy, best of 2 each', value: bestOurs / bestAnchor, target: 1, cmp: '<=' },
  { what: 'max |PSI ours - numpy|', value: dPsi, target: 1e-9, cmp: '<=' },
  { what: 'max |KS ours - scipy|', value: dKs, target: 1e-9, cmp: '<=' },
]);
