// The numeric kernels of k-means, shared by the main thread and the Lloyd workers.
// Distances use ||x||^2 - 2 x.c + ||c||^2; for the arg-min only -2 x.c + ||c||^2 matters, and
// four centres are scored per pass over a row so each x value is loaded once per four centres.
import { Rng } from '../core/rng.ts';
import { wasmSeedBlock, type WasmJob } from './wasm-assign.ts';
import type { CentreMoves } from './geometry.ts';

export { centreGeometry, sqDist, type CentreMoves } from './geometry.ts';

/** Rows are processed in fixed blocks; partial sums are reduced in block order, so results do
 *  not depend on how many threads ran the blocks. */
export const BLOCK_ROWS = 32768;

export function sqNorms(data: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0, o = i * d; j < d; j++) { const v = data[o + j]!; s += v * v; }
    out[i] = s;
  }
  return out;
}

export interface BlockResult { sums: Float64Array; counts: Float64Array; inertia: number; changed: number }

export type AssignKernel = (
  X: Float64Array, start: number, end: number, centers: Float64Array,
  labels: Int32Array, sums: Float64Array, counts: Float64Array, out: Float64Array,
) => void;

const kernels = new Map<string, AssignKernel>();

/**
 * Assigns rows [start, end) to their nearest centre, writing labels, and accumulates per-cluster
 * sums and counts (for the M step), the inertia (out[0]) and the number of changed labels (out[1]).
 * The loop is generated for the exact (d, k) and fully unrolled: each row's d values sit in
 * locals and each centre's dot product is one expression with constant offsets, which V8
 * compiles to straight-line code about 1.5x faster than the generic nested loops.
 */
export function assignKernel(d: number, k: number): AssignKernel {
  const key = `${d},${k}`;
  let f = kernels.get(key);
  if (f) return f;
  const L: string[] = [];
  L.push(`const cn = new Float64Array(${k});`);
  L.push(`for (let c = 0; c < ${k}; c++) { let s = 0; for (let j = 0; j < ${d}; j++) { const v = C[c * ${d} + j]; s += v * v; } cn[c] = s; }`);
  L.push('let inertia = 0, changed = 0;');
  L.push(`for (let i = start; i < end; i++) { const o = i * ${d};`);
  for (let j = 0; j < d; j++) L.push(`const x${j} = X[o + ${j}];`);
  L.push('let best = 0, bd = Infinity, t = 0;');
  for (let c = 0; c < k; c++) {
    const terms = Array.from({ length: d }, (_, j) => `x${j} * C[${c * d + j}]`);
    L.push(`t = cn[${c}] - 2 * (${terms.join(' + ')});`);
    L.push(`if (t < bd) { bd = t; best = ${c}; }`);
  }
  L.push('let xn = 0;');
  for (let j = 0; j < d; j++) L.push(`xn += x${j} * x${j}; sums[best * ${d} + ${j}] += x${j};`);
  // rounding can make a tiny squared distance negative
  L.push('counts[best]++; const dd = xn + bd; inertia += dd > 0 ? dd : 0;');
  L.push('if (labels[i] !== best) { labels[i] = best; changed++; } }');
  L.push('out[0] = inertia; out[1] = changed;');
  f = new Function('X', 'start', 'end', 'C', 'labels', 'sums', 'counts', 'out', L.join('\n')) as AssignKernel;
  kernels.set(key, f);
  return f;
}

export function assignRange(
  X: Float64Array, d: number, start: number, end: number,
  centers: Float64Array, k: number, labels: Int32Array,
  sums: Float64Array, counts: Float64Array,
): { inertia: number; changed: number } {
  const out = new Float64Array(2);
  // very wide data would make a huge unrolled function: keep those on a plain loop
  if (d * k <= 4096) assignKernel(d, k)(X, start, end, centers, labels, sums, counts, out);
  else assignGeneric(X, d, start, end, centers, k, labels, sums, counts, out);
  return { inertia: out[0]!, changed: out[1]! };
}

function assignGeneric(
  X: Float64Array, d: number, start: number, end: number,
  centers: Float64Array, k: number, labels: Int32Array,
  sums: Float64Array, counts: Float64Array, out: Float64Array,
): void {
  const cNorm = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) { const v = centers[c * d + j]!; s += v * v; }
    cNorm[c] = s;
  }
  let inertia = 0, changed = 0;
  for (let i = start; i < end; i++) {
    const o = i * d;
    let best = 0, bestD = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += X[o + j]! * centers[c * d + j]!;
      const dist = cNorm[c]! - 2 * s;
      if (dist < bestD) { bestD = dist; best = c; }
    }
    let xn = 0;
    for (let j = 0; j < d; j++) { const v = X[o + j]!; xn += v * v; sums[best * d + j] += v; }
    counts[best]++;
    inertia += Math.max(xn + bestD, 0);
    if (labels[i] !== best) { labels[i] = best; changed++; }
  }
  out[0] = inertia; out[1] = changed;
}

/**
 * One pass of k-means++ seeding over rows [start, end): first folds the committed centre into
 * closest[] (the squared distance to the nearest chosen centre), then, for each candidate t,
 * sums min(closest, d(x, cand_t)) - the potential if t were chosen. out[0] = sum of closest,
 * out[1 + t] = potential of candidate t, both over this block.
 */
export function seedingPass(
  X: Float64Array, d: number, start: number, end: number, closest: Float64Array,
  commit: Float64Array | null, cands: Float64Array, nCands: number, out: Float64Array,
  outs: Float64Array[] | null = null,
): void {
  let total = 0;
  if (commit) {
    for (let i = start; i < end; i++) {
      const o = i * d;
      let s = 0;
      for (let j = 0; j < d; j++) { const e = X[o + j]! - commit[j]!; s += e * e; }
      const cl = closest[i]!;
      if (s < cl) { closest[i] = s; total += s; } else total += cl;
    }
  } else {
    for (let i = start; i < end; i++) total += closest[i]!;
  }
  out[0] = total;
  // all candidates in one pass when their coordinates fit in locals: the pass is bound by
  // reading X, so scoring every candidate per row read costs one pass instead of nCands
  if (nCands > 0 && onePass(d, nCands)) {
    multiCandidateKernel(d, nCands, outs !== null)(X, start, end, closest, cands, out, outs);
    return;
  }
  // candidate-major: one tight loop per candidate with its sum in a register
  const pass = d <= 64 ? candidateKernel(d) : null;
  for (let t = 0; t < nCands; t++) {
    const c = t * d;
    if (pass) { out[1 + t] = pass(X, start, end, closest, cands, c); continue; }
    let acc = 0;
    for (let i = start; i < end; i++) {
      const o = i * d;
      let s = 0;
      for (let j = 0; j < d; j++) { const e = X[o + j]! - cands[c + j]!; s += e * e; }
      const cl = closest[i]!;
      acc += s < cl ? s : cl;
    }
    out[1 + t] = acc;
  }
}

type CandidateKernel = (X: Float64Array, start: number, end: number, closest: Float64Array, cands: Float64Array, c: number) => number;
const candKernels = new Map<number, CandidateKernel>();

/** sum over rows of min(closest, ||x - cand||^2), unrolled for d with the candidate in locals */
function candidateKernel(d: number): CandidateKernel {
  let f = candKernels.get(d);
  if (f) return f;
  const L: string[] = [];
  for (let j = 0; j < d; j++) L.push(`const c${j} = cands[c + ${j}];`);
  L.push('let acc = 0;');
  L.push(`for (let i = start, o = start * ${d}; i < end; i++, o += ${d}) {`);
  L.push('let e = 0, s = 0;');
  for (let j = 0; j < d; j++) L.push(`e = X[o + ${j}] - c${j}; s += e * e;`);
  L.push('const cl = closest[i]; acc += s < cl ? s : cl; }');
  L.push('return acc;');
  f = new Function('X', 'start', 'end', 'closest', 'cands', 'c', L.join('\n')) as CandidateKernel;
  candKernels.set(d, f);
  return f;
}

/** whether a candidate pass scores all candidates per row read (their coordinates fit in locals) */
function onePass(d: number, nCands: number): boolean { return d * nCands <= 96; }

type MultiCandidateKernel = (X: Float64Array, start: number, end: number, closest: Float64Array, cands: Float64Array, out: Float64Array,
  outs: Float64Array[] | null) => void;
const multiKernels = new Map<string, MultiCandidateKernel>();

/** out[1 + t] = sum over rows of min(closest, ||x - cand_t||^2) for every t, in one pass; each
 *  sum is accumulated in the same order as candidateKernel's, so the values are identical.
 *  With `write`, outs[t][i] also receives min(closest, ||x - cand_t||^2): the closest[] that
 *  committing candidate t would give, so the commit needs no pass of its own. */
function multiCandidateKernel(d: number, m: number, write: boolean): MultiCandidateKernel {
  const key = `${d},${m},${write}`;
  let f = multiKernels.get(key);
  if (f) return f;
  const L: string[] = [];
  if (write) for (let t = 0; t < m; t++) L.push(`const B${t} = outs[${t}];`);
  for (let t = 0; t < m; t++) for (let j = 0; j < d; j++) L.push(`const c${t}_${j} = cands[${t * d + j}];`);
  for (let t = 0; t < m; t++) L.push(`let acc${t} = 0;`);
  L.push(`for (let i = start, o = start * ${d}; i < end; i++, o += ${d}) {`);
  for (let j = 0; j < d; j++) L.push(`const x${j} = X[o + ${j}];`);
  L.push('const cl = closest[i]; let e = 0, s = 0;');
  for (let t = 0; t < m; t++) {
    L.push('s = 0;');
    for (let j = 0; j < d; j++) L.push(`e = x${j} - c${t}_${j}; s += e * e;`);
    if (write) L.push(`{ const v = s < cl ? s : cl; acc${t} += v; B${t}[i] = v; }`);
    else L.push(`acc${t} += s < cl ? s : cl;`);
  }
  L.push('}');
  for (let t = 0; t < m; t++) L.push(`out[${1 + t}] = acc${t};`);
  f = new Function('X', 'start', 'end', 'closest', 'cands', 'out', 'outs', L.join('\n')) as MultiCandidateKernel;
  multiKernels.set(key, f);
  return f;
}

export interface SeedingJob {
  closest: Float64Array; commit: Float64Array | null; cands: Float64Array; nCands: number;
  /** per candidate, the closest[] its commit would give (written by the pass), or null */
  outs?: Float64Array[] | null;
  /** set when closest and outs are a WebAssembly arena's seedBuffers(): candidate passes run SIMD */
  wasm?: WasmJob;
}

/** One block of a seeding pass, on the SIMD kernel when the job allows it (same values). */
export function seedBlock(X: Float64Array, d: number, n: number, b: number, job: SeedingJob, res: Float64Array, slot: number): void {
  const start = b * BLOCK_ROWS, end = Math.min(n, start + BLOCK_ROWS);
  if (job.wasm && job.outs && job.nCands > 0 && !job.commit) wasmSeedBlock(job.wasm, slot, start, end, job.closest, job.cands, job.nCands, job.outs, res);
  else seedingPass(X, d, start, end, job.closest, job.commit, job.cands, job.nCands, res, job.outs ?? null);
}
export type BlockRunner = (seeding: SeedingJob, results: Float64Array) => void;

/** extra memory (bytes) k-means++ may use to skip its commit passes */
const SEED_BUFFER_BYTES = 512 * 2 ** 20;

/**
 * Greedy k-means++ (as scikit-learn): each new centre is the best, by resulting potential, of
 * 2 + ln(k) candidates drawn with probability proportional to D(x)^2. The passes over the data
 * run through `run` (the Lloyd pool's blocks, or the calling thread), and per-block sums are
 * combined in block order, so the seeds do not depend on the thread count.
 */
export function kmeansPlusPlus(X: Float64Array, n: number, d: number, k: number, rng: Rng, run?: BlockRunner, shared = false,
  arena?: { buffers: Float64Array[]; job: WasmJob } | null): Float64Array {
  const centers = new Float64Array(k * d);
  const nLocal = seedCandidates(k);
  const nBlocks = Math.ceil(n / BLOCK_ROWS);
  const alloc = (len: number) => (shared ? new Float64Array(new SharedArrayBuffer(len * 8)) : new Float64Array(len));
  const inArena = arena && arena.buffers.length === nLocal + 1 ? arena : null;
  let closest = (inArena ? inArena.buffers[0]! : alloc(n)).fill(Infinity);
  const results = alloc(nBlocks * (nLocal + 1));
  const runner: BlockRunner = run ?? ((job, res) => {
    for (let b = 0; b < nBlocks; b++) seedBlock(X, d, n, b, job, res.subarray(b * (job.nCands + 1), (b + 1) * (job.nCands + 1)), 0);
  });
  // the candidate pass can also write each candidate's would-be closest[]: committing the winner
  // is then a swap of arrays instead of another pass over X (same values, bit for bit)
  const outs = inArena ? inArena.buffers.slice(1)
    : k > 1 && onePass(d, nLocal) && nLocal * n * 8 <= SEED_BUFFER_BYTES ? Array.from({ length: nLocal }, () => alloc(n)) : null;
  const first = rng.int(n);
  let commit: Float64Array = X.slice(first * d, first * d + d);
  centers.set(commit, 0);
  const blockPot = new Float64Array(nBlocks);
  const commitPass = () => {
    runner({ closest, commit, cands: new Float64Array(0), nCands: 0 }, results);
    for (let b = 0; b < nBlocks; b++) blockPot[b] = results[b]!;
  };
  if (k > 1) commitPass();
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let b = 0; b < nBlocks; b++) total += blockPot[b]!;
    const cands = new Float64Array(nLocal * d);
    for (let t = 0; t < nLocal; t++) {
      const idx = total > 0 ? sampleByWeight(closest, blockPot, rng.random() * total, n) : rng.int(n);
      cands.set(X.subarray(idx * d, idx * d + d), t * d);
    }
    runner({ closest, commit: null, cands, nCands: nLocal, outs, wasm: inArena?.job }, results);
    let bestT = 0, bestPot = Infinity;
    for (let t = 0; t < nLocal; t++) {
      let p = 0;
      for (let b = 0; b < nBlocks; b++) p += results[b * (nLocal + 1) + 1 + t]!;
      if (p < bestPot) { bestPot = p; bestT = t; }
    }
    commit = cands.slice(bestT * d, bestT * d + d);
    centers.set(commit, c * d);
    if (c === k - 1) break;
    if (outs) {
      const old = closest;
      closest = outs[bestT]!; outs[bestT] = old;
      for (let b = 0; b < nBlocks; b++) blockPot[b] = results[b * (nLocal + 1) + 1 + bestT]!;
    } else commitPass();
  }
  return centers;
}

/** candidates per greedy k-means++ step (scikit-learn's 2 + ln k) */
export function seedCandidates(k: number): number { return 2 + Math.floor(Math.log(k)); }

/** The row where the running sum of weights passes r (block sums first, then within the block). */
function sampleByWeight(w: Float64Array, blockSums: Float64Array, r: number, n: number): number {
  let b = 0;
  while (b < blockSums.length - 1 && r >= blockSums[b]!) { r -= blockSums[b]!; b++; }
  const start = b * BLOCK_ROWS, end = Math.min(n, start + BLOCK_ROWS);
  let last = start;
  for (let i = start; i < end; i++) {
    if (w[i]! > 0) last = i;
    r -= w[i]!;
    if (r < 0) return i;
  }
  return last; // rounding left r just above zero: the last row with weight
}

/** k distinct random rows as initial centres. */
export function randomInit(X: Float64Array, n: number, d: number, k: number, rng: Rng): Float64Array {
  const idx = new Int32Array(n).map((_, i) => i);
  const centers = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    const j = c + rng.int(n - c);
    const t = idx[c]!; idx[c] = idx[j]!; idx[j] = t;
    centers.set(X.subarray(idx[c]! * d, idx[c]! * d + d), c * d);
  }
  return centers;
}

/**
 * The Lloyd E-step with Hamerly's bounds: upper[i] bounds the distance to the assigned centre,
 * lower[i] the distance to every other centre. After the centres move, a row whose bounds still
 * prove its assignment is skipped; otherwise its distances are recomputed. The labels are exactly
 * those of the plain E-step (up to rounding ties); only the work differs. `first` initialises
 * the bounds with a full scan.
 */
export function assignRangeBounded(
  X: Float64Array, d: number, start: number, end: number,
  centers: Float64Array, k: number, labels: Int32Array, upper: Float64Array, lower: Float64Array,
  geo: CentreMoves, first: boolean, sums: Float64Array, counts: Float64Array,
): { changed: number; scanned: number } {
  if (d * k <= 4096) {
    const out = new Float64Array(2);
    boundedKernel(d, k)(X, start, end, centers, labels, upper, lower, geo.move, geo.half, first ? 1 : 0, sums, counts, out);
    return { changed: out[0]!, scanned: out[1]! };
  }
  const cNorm = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) { const v = centers[c * d + j]!; s += v * v; }
    cNorm[c] = s;
  }
  // the largest and second largest move, so "largest move of any other centre" is O(1)
  let m1 = 0, m1c = -1, m2 = 0;
  for (let c = 0; c < k; c++) {
    const m = geo.move[c]!;
    if (m > m1) { m2 = m1; m1 = m; m1c = c; } else if (m > m2) m2 = m;
  }
  const k4 = k - (k % 4);
  let changed = 0, scanned = 0;
  for (let i = start; i < end; i++) {
    const o = i * d;
    let a = labels[i]!;
    let needScan = first;
    if (!first) {
      let u = upper[i]! + geo.move[a]!;
      const l = lower[i]! - (a === m1c ? m2 : m1);
      upper[i] = u; lower[i] = l;
      const z = l > geo.half[a]! ? l : geo.half[a]!;
      if (u > z) {
        // tighten the upper bound with the exact distance before a full scan
        let s = 0;
        for (let j = 0; j < d; j++) { const e = X[o + j]! - centers[a * d + j]!; s += e * e; }
        u = Math.sqrt(s);
        upper[i] = u;
        if (u > z) needScan = true;
      }
    }
    if (needScan) {
      scanned++;
      let xn = 0;
      for (let j = 0; j < d; j++) { const v = X[o + j]!; xn += v * v; }
      let best = 0, bestD = Infinity, second = Infinity;
      let c = 0;
      for (; c < k4; c += 4) {
        const o0 = c * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < d; j++) {
          const x = X[o + j]!;
          s0 += x * centers[o0 + j]!; s1 += x * centers[o1 + j]!;
          s2 += x * centers[o2 + j]!; s3 += x * centers[o3 + j]!;
        }
        const d0 = cNorm[c]! - 2 * s0, d1 = cNorm[c + 1]! - 2 * s1, d2 = cNorm[c + 2]! - 2 * s2, d3 = cNorm[c + 3]! - 2 * s3;
        if (d0 < bestD) { second = bestD; bestD = d0; best = c; } else if (d0 < second) second = d0;
        if (d1 < bestD) { second = bestD; bestD = d1; best = c + 1; } else if (d1 < second) second = d1;
        if (d2 < bestD) { second = bestD; bestD = d2; best = c + 2; } else if (d2 < second) second = d2;
        if (d3 < bestD) { second = bestD; bestD = d3; best = c + 3; } else if (d3 < second) second = d3;
      }
      for (; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += X[o + j]! * centers[c * d + j]!;
        const dist = cNorm[c]! - 2 * s;
        if (dist < bestD) { second = bestD; bestD = dist; best = c; } else if (dist < second) second = dist;
      }
      upper[i] = Math.sqrt(Math.max(xn + bestD, 0));
      lower[i] = Math.sqrt(Math.max(xn + second, 0));
      if (best !== a) { a = best; changed++; labels[i] = best; }
    }
    for (let j = 0; j < d; j++) sums[a * d + j] += X[o + j]!;
    counts[a]++;
  }
  return { changed, scanned };
}

type BoundedKernel = (
  X: Float64Array, start: number, end: number, C: Float64Array, labels: Int32Array,
  upper: Float64Array, lower: Float64Array, move: Float64Array, half: Float64Array, first: number,
  sums: Float64Array, counts: Float64Array, out: Float64Array,
) => void;
const boundedKernels = new Map<string, BoundedKernel>();

/** assignRangeBounded generated for (d, k): the same logic with the full scan unrolled. */
function boundedKernel(d: number, k: number): BoundedKernel {
  const key = `${d},${k}`;
  let f = boundedKernels.get(key);
  if (f) return f;
  const L: string[] = [];
  L.push(`const cn = new Float64Array(${k});`);
  L.push(`for (let c = 0; c < ${k}; c++) { let s = 0; for (let j = 0; j < ${d}; j++) { const v = C[c * ${d} + j]; s += v * v; } cn[c] = s; }`);
  L.push(`let m1 = 0, m1c = -1, m2 = 0;`);
  L.push(`for (let c = 0; c < ${k}; c++) { const m = move[c]; if (m > m1) { m2 = m1; m1 = m; m1c = c; } else if (m > m2) m2 = m; }`);
  L.push('let changed = 0, scanned = 0;');
  L.push(`for (let i = start; i < end; i++) { const o = i * ${d};`);
  for (let j = 0; j < d; j++) L.push(`const x${j} = X[o + ${j}];`);
  L.push('let a = labels[i];');
  L.push('let scan = first === 1;');
  L.push('if (!scan) {');
  L.push('  let u = upper[i] + move[a]; const l = lower[i] - (a === m1c ? m2 : m1);');
  L.push('  upper[i] = u; lower[i] = l; const z = l > half[a] ? l : half[a];');
  L.push('  if (u > z) {');
  L.push(`    const ca = a * ${d}; let e = 0, s = 0;`);
  for (let j = 0; j < d; j++) L.push(`    e = x${j} - C[ca + ${j}]; s += e * e;`);
  L.push('    u = Math.sqrt(s); upper[i] = u; if (u > z) scan = true;');
  L.push('  }');
  L.push('}');
  L.push('if (scan) {');
  L.push('  scanned++;');
  L.push(`  const xn = ${Array.from({ length: d }, (_, j) => `x${j} * x${j}`).join(' + ')};`);
  L.push('  let best = 0, bd = Infinity, sd = Infinity, t = 0;');
  for (let c = 0; c < k; c++) {
    const terms = Array.from({ length: d }, (_, j) => `x${j} * C[${c * d + j}]`);
    L.push(`  t = cn[${c}] - 2 * (${terms.join(' + ')});`);
    L.push(`  if (t < bd) { sd = bd; bd = t; best = ${c}; } else if (t < sd) sd = t;`);
  }
  L.push('  const du = xn + bd, dl = xn + sd;');
  L.push('  upper[i] = du > 0 ? Math.sqrt(du) : 0; lower[i] = dl > 0 ? Math.sqrt(dl) : 0;');
  L.push('  if (best !== a) { a = best; changed++; labels[i] = best; }');
  L.push('}');
  for (let j = 0; j < d; j++) L.push(`sums[a * ${d} + ${j}] += x${j};`);
  L.push('counts[a]++; }');
  L.push('out[0] = changed; out[1] = scanned;');
  f = new Function('X', 'start', 'end', 'C', 'labels', 'upper', 'lower', 'move', 'half', 'first', 'sums', 'counts', 'out', L.join('\n')) as BoundedKernel;
  boundedKernels.set(key, f);
  return f;
}

/** The nearest centre of every row (KMeans and MiniBatchKMeans predict). */
export function nearestCentres(X: Float64Array, rows: number, d: number, centers: Float64Array, k: number): Int32Array {
  const labels = new Int32Array(rows).fill(-1);
  assignRange(X, d, 0, rows, centers, k, labels, new Float64Array(k * d), new Float64Array(k));
  return labels;
}
