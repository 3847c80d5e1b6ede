// Implicit ALS at scale: 100,000 users x 20,000 tracks, ~10 million interactions, 64 factors,
// synthetic and seeded, with a realistic popularity skew (Zipf-like track popularity, log-normal
// user activity). Prints seconds per iteration (wall and CPU, all threads) and peak memory (RSS,
// sampled every 50 ms).
// No anchor runs here: recsys_anchors.py would also fit a dense 20,000 x 20,000 EASE model;
// the MovieLens side-by-side with numpy iALS is `npm run bench -- recsys`.
// Usage: npm run bench -- als [iterations=3] [dtype=float32|float64|both] [threads=0] [scale=1]
// (scale < 1 shrinks users, tracks and interactions together, for a quick look)
import { report, type Row } from './lib.ts';
import { Rng } from '../src/ml/core/rng.ts';
import { Interactions, coordinatesToCsr } from '../src/ml/recsys/interactions.ts';
import { ImplicitAls, startAlsWorkers } from '../src/ml/recsys/als.ts';
import { defaultThreads } from '../src/util/workers.ts';

const scale = Number(process.argv[5] ?? 1);
const USERS = Math.round(100_000 * scale), ITEMS = Math.round(20_000 * scale), TARGET_NNZ = Math.round(10_000_000 * scale), FACTORS = 64;
const iterations = Number(process.argv[2] ?? 3);
const dtypes = (process.argv[3] ?? 'float32') === 'both' ? ['float32', 'float64'] as const : [process.argv[3] ?? 'float32'] as Array<'float32' | 'float64'>;
const threads = Number(process.argv[4] ?? 0) || defaultThreads();

let peak = 0;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
const timer = setInterval(sample, 50);

function generate(seed: number): Interactions {
  const rng = new Rng(seed);
  // track popularity ~ 1 / rank^0.9, shuffled so popular ids are spread over the index range
  const perm = rng.shuffle(Int32Array.from({ length: ITEMS }, (_, i) => i));
  const cdf = new Float64Array(ITEMS);
  let s = 0;
  for (let r = 0; r < ITEMS; r++) { s += 1 / (r + 1) ** 0.9; cdf[r] = s; }
  for (let r = 0; r < ITEMS; r++) cdf[r]! /= s;
  // user activity log-normal (sigma 1), scaled so the total is ~10M
  const act = Float64Array.from({ length: USERS }, () => Math.exp(rng.normal()));
  const scale = TARGET_NNZ / act.reduce((a, b) => a + b, 0);
  const counts = Int32Array.from(act, (a) => Math.max(1, Math.min(ITEMS / 4, Math.round(a * scale))));
  const nnz = counts.reduce((a, b) => a + b, 0);
  const ru = new Int32Array(nnz), ci = new Int32Array(nnz), w = new Float32Array(nnz);
  let o = 0;
  const seen = new Set<number>();
  for (let u = 0; u < USERS; u++) {
    seen.clear();
    while (seen.size < counts[u]!) {
      const x = rng.random();
      let lo = 0, hi = ITEMS - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < x) lo = mid + 1; else hi = mid; }
      seen.add(perm[lo]!);
    }
    for (const i of seen) {
      ru[o] = u; ci[o] = i;
      w[o] = 1 + Math.floor(-Math.log(1 - rng.random()) * 3); // play counts, geometric-like
      o++;
    }
  }
  const csr = coordinatesToCsr(USERS, ITEMS, ru, ci, w);
  return new Interactions(Array.from({ length: USERS }, (_, u) => `u${u}`), Array.from({ length: ITEMS }, (_, i) => `t${i}`), csr);
}

let t = performance.now();
const data = generate(42);
void data.byItem;
console.log(`generated ${data.nnz.toLocaleString()} interactions (${USERS} users x ${ITEMS} tracks) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
await startAlsWorkers(threads);

const rows: Row[] = [];
for (const dtype of dtypes) {
  sample();
  const base = process.memoryUsage().rss;
  peak = base;
  const its: number[] = [], cpus: number[] = [];
  // CPU seconds of all threads (process.cpuUsage) next to wall time: on a shared machine the
  // wall time also counts waiting for a core
  const cpuNow = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
  t = performance.now();
  const cpu0 = cpuNow();
  let cpuPrev = cpu0;
  await new ImplicitAls({ factors: FACTORS, iterations, alpha: 1, confidence: 'log1p', regularization: 1, threads, dtype })
    .fit(data, {
      onIteration: (i, s) => {
        const c = cpuNow();
        its.push(s); cpus.push(c - cpuPrev); cpuPrev = c;
        console.log(`  ${dtype} iteration ${i + 1}: ${s.toFixed(2)} s (cpu ${cpus[i]!.toFixed(2)} s)`);
      },
    });
  const total = (performance.now() - t) / 1000, totalCpu = cpuNow() - cpu0;
  sample();
  const sorted = [...its].sort((a, b) => a - b);
  rows.push({
    name: `ALS ${FACTORS}f cg3 ${dtype}`, interactions: data.nnz, threads, iterations,
    s_per_iteration_median: +sorted[Math.floor(sorted.length / 2)]!.toFixed(3), s_per_iteration_min: +sorted[0]!.toFixed(3),
    cpu_s_per_iteration_median: +[...cpus].sort((a, b) => a - b)[Math.floor(cpus.length / 2)]!.toFixed(3),
    fit_s: +total.toFixed(2), fit_cpu_s: +totalCpu.toFixed(2), rss_before_fit_mb: Math.round(base / 2 ** 20), peak_rss_mb: Math.round(peak / 2 ** 20),
  });
}
clearInterval(timer);
report(`als: ${data.nnz.toLocaleString()} interactions, ${USERS} users x ${ITEMS} tracks, 64 factors`, rows);
