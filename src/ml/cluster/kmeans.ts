// KMeans: k-means++ (greedy) or random init, n_init restarts keeping the lowest inertia, and
// either Lloyd (the E-step on every core via lloyd-pool.ts) or Elkan (triangle-inequality
// bounds that skip most distance computations when clusters are well separated).
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { checkCols, checkXy, requireFitted, resolveParams, type Estimator, type SerializedEstimator, BaseEstimator } from '../core/estimator.ts';
import type { Matrix } from '../core/matrix.ts';
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import { Rng } from '../core/rng.ts';
import { defaultThreads } from '../../util/workers.ts';
import { arr, expectKind, f64 } from '../data/json.ts';
import { BLOCK_ROWS, nearestCentres, centreGeometry, kmeansPlusPlus, randomInit, seedCandidates, sqDist } from './kernels.ts';
import { WasmArena } from './wasm-assign.ts';
import { lloydPool, resultStride, runAllBlocksHere, poolSeedingRunner, sharedOrLocalF64, toShared, warmLloydPool, type LloydJob } from './lloyd-pool.ts';

export interface KMeansParams {
  nClusters: number;
  init: 'k-means++' | 'random';
  nInit: number;
  maxIter: number;
  /** convergence when the squared centre shift is <= tol * mean feature variance (sklearn's rule); 0 runs maxIter unless labels stop changing */
  tol: number;
  algorithm: 'lloyd' | 'elkan';
  seed: number;
  /** 0 = one per core (TRIBUTARY_THREADS overrides); 1 = no worker threads */
  threads: number;
  /** below this many rows the E-step stays on the calling thread */
  parallelMinRows: number;
  /** Lloyd only: keep Hamerly's distance bounds and skip rows they prove (same result; pays off
   *  most when clusters are well separated; about 15% less CPU even on unstructured Gaussian data) */
  pruning: boolean;
  /** Lloyd only: run the plain E-step as WebAssembly SIMD where available (identical results,
   *  about twice the speed); with pruning on, iterations switch to it once the bounds stop
   *  skipping most rows */
  simd: boolean;
}

export interface KMeansState { centers: Float64Array; k: number; d: number; inertia: number; nIter: number; labels: Int32Array }

export const KMEANS_DEFAULTS: KMeansParams = {
  nClusters: 8, init: 'k-means++', nInit: 1, maxIter: 300, tol: 1e-4, algorithm: 'lloyd', seed: 0,
  threads: 0, parallelMinRows: 50000, pruning: true, simd: true,
};

export function validateKMeansParams(kind: string, p: { nClusters: number; maxIter: number }): void {
  if (!Number.isInteger(p.nClusters) || p.nClusters < 1) throw new InvalidParameterError(`${kind}: nClusters must be an integer >= 1, got ${p.nClusters}`);
  if (!Number.isInteger(p.maxIter) || p.maxIter < 1) throw new InvalidParameterError(`${kind}: maxIter must be an integer >= 1, got ${p.maxIter}`);
}

export class KMeans extends BaseEstimator<KMeansParams> implements Estimator<KMeansParams> {
  readonly kind = 'KMeans';
  readonly params: KMeansParams;
  private state: KMeansState | null = null;

  constructor(params: Partial<KMeansParams> = {}) {
    super();
    this.params = resolveParams(this.kind, KMEANS_DEFAULTS, params);
    validateKMeansParams(this.kind, this.params);
    if (!['k-means++', 'random'].includes(this.params.init)) {
      throw new InvalidParameterError(`KMeans: init must be k-means++ or random, got ${JSON.stringify(this.params.init)}`);
    }
    if (!['lloyd', 'elkan'].includes(this.params.algorithm)) {
      throw new InvalidParameterError(`KMeans: algorithm must be lloyd or elkan, got ${JSON.stringify(this.params.algorithm)}`);
    }
    if (!Number.isInteger(this.params.nInit) || this.params.nInit < 1) {
      throw new InvalidParameterError(`KMeans: nInit must be an integer >= 1, got ${this.params.nInit}`);
    }
  }

  fit(X: Matrix): this {
    checkXy(this.kind, X);
    const { rows: n, cols: d } = X, k = this.params.nClusters;
    if (n < k) throw new InvalidInputError(`KMeans: ${n} rows is fewer than nClusters = ${k}`);
    const rng = new Rng(this.params.seed);
    // tol 0 (a fixed number of iterations) needs no variance: skip that pass over the data
    const tolAbs = this.params.tol > 0 ? this.params.tol * meanVariance(X) : 0;
    const threads = this.params.threads > 0 ? this.params.threads : defaultThreads();
    const useElkan = this.params.algorithm === 'elkan' && k > 1;
    // the SIMD kernel reads X from a WebAssembly memory: one copy, as the shared copy for the
    // worker threads would be (the arena's memory is shared, so it serves both)
    const seeding = this.params.init === 'k-means++' && k > 1;
    const arena = !useElkan && this.params.simd && n >= SIMD_MIN_ROWS
      ? WasmArena.create(X.data, n, d, k, Math.max(1, threads), seeding ? seedCandidates(k) : 0)
      : null;
    const seedBufs = arena?.seedBuffers();
    const data = arena ? arena.X : !useElkan && n >= this.params.parallelMinRows && threads > 1 ? toShared(X.data) : X.data;
    let best: KMeansState | null = null;
    for (let run = 0; run < this.params.nInit; run++) {
      const parallel = n >= this.params.parallelMinRows && threads > 1 && data.buffer instanceof SharedArrayBuffer;
      const pool = parallel ? lloydPool(threads) : null;
      const init = this.params.init === 'k-means++'
        ? kmeansPlusPlus(data, n, d, k, rng, pool ? poolSeedingRunner(pool, data, n, d) : undefined, pool !== null,
          seedBufs ? { buffers: seedBufs, job: arena!.job } : null)
        : randomInit(data, n, d, k, rng);
      const s = useElkan ? elkan(data, n, d, k, init, this.params.maxIter, tolAbs)
        : lloyd(data, n, d, k, init, this.params.maxIter, tolAbs, n >= this.params.parallelMinRows ? threads : 1, this.params.pruning, arena);
      if (!best || s.inertia < best.inertia) best = s;
    }
    this.state = best;
    return this;
  }

  /**
   * fit() after starting the worker pool: fit() alone is synchronous and can only use workers
   * that are already running (it starts them in the background for the next call).
   */
  async fitAsync(X: Matrix): Promise<this> {
    const threads = this.params.threads > 0 ? this.params.threads : defaultThreads();
    if (this.params.algorithm === 'lloyd' && X.rows >= this.params.parallelMinRows && threads > 1) await warmLloydPool(threads);
    return this.fit(X);
  }

  get centers(): Matrix { const s = requireFitted(this.kind, this.state); return { rows: s.k, cols: s.d, data: s.centers.slice() }; }
  get labels(): Int32Array { return requireFitted(this.kind, this.state).labels.slice(); }
  get inertia(): number { return requireFitted(this.kind, this.state).inertia; }
  get nIter(): number { return requireFitted(this.kind, this.state).nIter; }

  /** index of the nearest centre per row */
  predict(X: Matrix): Int32Array {
    const s = requireFitted(this.kind, this.state);
    checkXy(this.kind, X);
    checkCols(this.kind, X, s.d);
    return nearestCentres(X.data, X.rows, s.d, s.centers, s.k);
  }

  /** distances from each row to each centre (n x k), sklearn's transform */
  transform(X: Matrix): Matrix {
    const s = requireFitted(this.kind, this.state);
    checkXy(this.kind, X);
    checkCols(this.kind, X, s.d);
    const out = new Float64Array(X.rows * s.k);
    for (let i = 0; i < X.rows; i++) for (let c = 0; c < s.k; c++) out[i * s.k + c] = Math.sqrt(sqDist(X.data, i, s.centers, c, s.d));
    return { rows: X.rows, cols: s.k, data: out };
  }

  toOnnxSpec(): OnnxModelSpec {
    const s = requireFitted(this.kind, this.state);
    return { inputs: Array.from({ length: s.d }, (_, j) => ({ name: `f${j}`, kind: 'numeric' as const })), model: { type: 'kmeans', centers: this.centers } };
  }

  toJSON(): SerializedEstimator<KMeansParams> {
    const s = this.state;
    return {
      kind: this.kind, format: 1, params: { ...this.params },
      state: s ? { centers: arr(s.centers), k: s.k, d: s.d, inertia: s.inertia, nIter: s.nIter, labels: arr(s.labels) } : null,
    };
  }

  static fromJSON(json: SerializedEstimator): KMeans {
    const j = expectKind<KMeansParams, { centers: number[]; k: number; d: number; inertia: number; nIter: number; labels: number[] } | null>(json, 'KMeans');
    const m = new KMeans(j.params);
    if (j.state) m.state = { ...j.state, centers: f64(j.state.centers), labels: Int32Array.from(j.state.labels) };
    return m;
  }
}

/** below this the arena's set-up is not repaid */
const SIMD_MIN_ROWS = 2048;

function meanVariance(X: Matrix): number {
  const { rows: n, cols: d, data } = X;
  const m2 = new Float64Array(d);
  // Welford per column; four columns per pass keep four independent chains of divisions in
  // flight, their running means and M2 in locals
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    for (let i = 0, o = j; i < n; i++, o += d) {
      const w = i + 1, x0 = data[o]!, x1 = data[o + 1]!, x2 = data[o + 2]!, x3 = data[o + 3]!;
      const e0 = x0 - a0, e1 = x1 - a1, e2 = x2 - a2, e3 = x3 - a3;
      a0 += e0 / w; a1 += e1 / w; a2 += e2 / w; a3 += e3 / w;
      q0 += e0 * (x0 - a0); q1 += e1 * (x1 - a1); q2 += e2 * (x2 - a2); q3 += e3 * (x3 - a3);
    }
    m2[j] = q0; m2[j + 1] = q1; m2[j + 2] = q2; m2[j + 3] = q3;
  }
  for (; j < d; j++) {
    let a = 0, q = 0;
    for (let i = 0, o = j; i < n; i++, o += d) { const x = data[o]!, e = x - a; a += e / (i + 1); q += e * (x - a); }
    m2[j] = q;
  }
  let s = 0;
  for (let t = 0; t < d; t++) s += m2[t]! / n;
  return s / d;
}

/**
 * Lloyd iterations as scikit-learn runs them: each iteration assigns then moves the centres;
 * stop on unchanged labels (strict convergence) or a centre shift <= tolAbs; a final plain
 * E-step makes labels and inertia match the returned centres. With `pruning`, the E-step keeps
 * Hamerly's bounds and skips rows whose assignment they prove (same labels, less work).
 */
export function lloyd(
  X: Float64Array, n: number, d: number, k: number, init: Float64Array, maxIter: number, tolAbs: number, threads: number,
  pruning = true, arena: WasmArena | null = null,
): KMeansState & { scanned: number[] } {
  const pool = threads > 1 && X.buffer instanceof SharedArrayBuffer ? lloydPool(threads) : null;
  const sh = pool !== null;
  const labels = arena ? arena.labels.fill(-1) : sh ? new Int32Array(new SharedArrayBuffer(n * 4)).fill(-1) : new Int32Array(n).fill(-1);
  const nBlocks = Math.ceil(n / BLOCK_ROWS);
  const stride = resultStride(k, d);
  const results = sharedOrLocalF64(nBlocks * stride, sh);
  // with an arena the bounds live in it (its bounded kernel reads them there)
  const wasmBounds = arena !== null && arena.upper !== null;
  if (arena && !wasmBounds) pruning = false;
  const upper = pruning ? (wasmBounds ? arena!.upper! : sharedOrLocalF64(n, sh)) : null;
  const lower = pruning ? (wasmBounds ? arena!.lower! : sharedOrLocalF64(n, sh)) : null;
  let centers = init.slice();
  let prev: Float64Array | null = null;
  const scannedPerIter: number[] = [];
  let boundsReady = false;
  const estep = (bounded: boolean): { sums: Float64Array; counts: Float64Array; inertia: number; changed: number } => {
    const job: LloydJob = { X, labels, n, d, k, centers, results };
    if (arena) { arena.setCenters(centers); job.wasm = arena.job; }
    if (bounded) {
      job.bounds = { upper: upper!, lower: lower!, geo: centreGeometry(centers, prev, k, d), first: !boundsReady || prev === null };
      if (arena) arena.setGeometry(job.bounds.geo);
    }
    if (pool) pool.run(job); else runAllBlocksHere(job);
    const sums = new Float64Array(k * d), counts = new Float64Array(k);
    let inertia = 0, changed = 0;
    for (let b = 0; b < nBlocks; b++) {
      const o = b * stride;
      for (let t = 0; t < k * d; t++) sums[t] += results[o + t]!;
      for (let c = 0; c < k; c++) counts[c] += results[o + k * d + c]!;
      inertia += results[o + k * d + k]!;
      changed += results[o + k * d + k + 1]!;
    }
    if (bounded) { scannedPerIter.push(inertia); boundsReady = true; }
    return { sums, counts, inertia, changed };
  };
  let it = 0;
  // With the SIMD kernel, setting the bounds up costs a full (scalar) bounded scan, about twice a
  // plain SIMD one: so iterate plainly while many labels still change, then try the bounds once
  // (their WebAssembly kernel), and keep them only while they skip most rows. Without it, bounds
  // from the start. Labels and sums are the same whichever E-step runs.
  let prune = pruning && !arena;
  let triedBounds = false;
  for (; it < maxIter; it++) {
    const bounded = prune;
    const { sums, counts, changed, inertia: scanned } = estep(bounded);
    if (arena && pruning) {
      if (!bounded && !triedBounds && it > 0 && changed <= 0.01 * n) { prune = true; triedBounds = true; }
      else if (bounded && scannedPerIter.length > 1 && scanned > 0.3 * n) prune = false;
    }
    if (it > 0 && changed === 0) break; // strict convergence
    const next = new Float64Array(k * d);
    for (let c = 0; c < k; c++) {
      if (counts[c]! > 0) for (let j = 0; j < d; j++) next[c * d + j] = sums[c * d + j]! / counts[c]!;
    }
    const relocated = relocateEmpty(X, n, d, k, labels, counts, centers, next);
    let shift = 0;
    for (let t = 0; t < k * d; t++) { const e = next[t]! - centers[t]!; shift += e * e; }
    // a relocated centre jumps arbitrarily far: restart the bounds rather than reason about it
    prev = relocated ? null : centers;
    if (relocated) boundsReady = false;
    centers = next;
    if (shift <= tolAbs) { it++; break; }
  }
  const last = estep(false);
  return { centers, k, d, inertia: last.inertia, nIter: it, labels: Int32Array.from(labels), scanned: scannedPerIter };
}

/** An empty cluster takes the row farthest from its current centre (sklearn's relocation). */
function relocateEmpty(
  X: Float64Array, n: number, d: number, k: number, labels: Int32Array, counts: Float64Array, old: Float64Array, next: Float64Array,
): boolean {
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
  if (!empty.length) return false;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) dist[i] = sqDist(X, i, old, labels[i]!, d);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[b]! - dist[a]! || a - b);
  empty.forEach((c, t) => next.set(X.subarray(order[t]! * d, order[t]! * d + d), c * d));
  return true;
}

/**
 * Elkan's algorithm: per row an upper bound on the distance to its centre and a lower bound to
 * every other centre; a centre is only measured when the bounds cannot rule it out.
 */
export function elkan(X: Float64Array, n: number, d: number, k: number, init: Float64Array, maxIter: number, tolAbs: number): KMeansState {
  let centers = init.slice();
  const labels = new Int32Array(n);
  const upper = new Float64Array(n), lower = new Float64Array(n * k);
  const cc = new Float64Array(k * k), s = new Float64Array(k);
  const dist = (i: number, c: number) => Math.sqrt(sqDist(X, i, centers, c, d));
  const centreDistances = () => {
    s.fill(Infinity);
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) {
      const v = Math.sqrt(sqDist(centers, a, centers, b, d));
      cc[a * k + b] = cc[b * k + a] = v;
      if (v / 2 < s[a]!) s[a] = v / 2;
      if (v / 2 < s[b]!) s[b] = v / 2;
    }
  };
  centreDistances();
  for (let i = 0; i < n; i++) {
    let best = 0, bd = dist(i, 0);
    lower[i * k] = bd;
    for (let c = 1; c < k; c++) {
      if (cc[best * k + c]! / 2 >= bd) continue;
      const v = dist(i, c);
      lower[i * k + c] = v;
      if (v < bd) { bd = v; best = c; }
    }
    labels[i] = best; upper[i] = bd;
  }
  let it = 0;
  const sums = new Float64Array(k * d), counts = new Float64Array(k);
  for (; it < maxIter; it++) {
    sums.fill(0); counts.fill(0);
    for (let i = 0; i < n; i++) { const c = labels[i]!; counts[c]++; for (let j = 0; j < d; j++) sums[c * d + j] += X[i * d + j]!; }
    const next = new Float64Array(k * d);
    for (let c = 0; c < k; c++) if (counts[c]! > 0) for (let j = 0; j < d; j++) next[c * d + j] = sums[c * d + j]! / counts[c]!;
    relocateEmpty(X, n, d, k, labels, counts, centers, next);
    const move = new Float64Array(k);
    let shift = 0;
    for (let c = 0; c < k; c++) { const m2 = sqDist(next, c, centers, c, d); shift += m2; move[c] = Math.sqrt(m2); }
    centers = next;
    for (let i = 0; i < n; i++) {
      upper[i] += move[labels[i]!]!;
      for (let c = 0; c < k; c++) lower[i * k + c] = Math.max(0, lower[i * k + c]! - move[c]!);
    }
    if (shift <= tolAbs) { it++; break; }
    centreDistances();
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let a = labels[i]!;
      if (upper[i]! <= s[a]!) continue;
      let tight = false;
      for (let c = 0; c < k; c++) {
        if (c === a) continue;
        const z = Math.max(lower[i * k + c]!, cc[a * k + c]! / 2);
        if (upper[i]! <= z) continue;
        if (!tight) { upper[i] = dist(i, a); lower[i * k + a] = upper[i]!; tight = true; if (upper[i]! <= z) continue; }
        const v = dist(i, c);
        lower[i * k + c] = v;
        if (v < upper[i]!) { a = c; upper[i] = v; }
      }
      if (a !== labels[i]) { labels[i] = a; changed++; }
    }
    if (changed === 0) { it++; break; }
  }
  // a final exact E-step, so labels and inertia match the returned centres
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = labels[i]!, bd = sqDist(X, i, centers, best, d);
    for (let c = 0; c < k; c++) { const v = sqDist(X, i, centers, c, d); if (v < bd) { bd = v; best = c; } }
    labels[i] = best; inertia += bd;
  }
  return { centers, k, d, inertia, nIter: it, labels };
}
