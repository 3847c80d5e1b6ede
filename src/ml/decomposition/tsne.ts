// Exact t-SNE (van der Maaten & Hinton 2008) for 2-D/3-D views. Input affinities use each
// point's 3 x perplexity nearest neighbours (as Barnes-Hut t-SNE does: the rest carry
// negligible mass); the repulsive forces are computed exactly over all pairs, O(n^2) per
// iteration (for 2-D layouts as WebAssembly SIMD, tsne-wasm.ts: at the 1,000 points of a
// dashboard view that is faster than a Barnes-Hut tree), so tables above maxSamples rows are
// embedded on a seeded random sample.
// Optimiser as in the reference implementation: early exaggeration, momentum, per-coordinate
// gains; PCA initialisation (deterministic, and it preserves global structure).
import { InvalidParameterError } from '../core/errors.ts';
import { checkXy, requireFitted, resolveParams, type SerializedEstimator, BaseEstimator } from '../core/estimator.ts';
import { arr, expectKind, matrixFromJSON, matrixToJSON, type MatrixJSON } from '../data/json.ts';
import { takeRows, type Matrix } from '../core/matrix.ts';
import { Rng } from '../core/rng.ts';
import { PCA } from './pca.ts';
import { rowDistances, tsneGradient2d, type UpperP } from './tsne-wasm.ts';

export interface TSNEParams {
  nComponents: number; perplexity: number; maxIter: number; earlyExaggeration: number;
  /** iterations with early exaggeration (and momentum 0.5) before the rest; scikit-learn's 250 */
  exaggerationIter: number;
  /** 0 = auto: max(n / earlyExaggeration / 4, 50) */
  learningRate: number; seed: number; maxSamples: number;
}

export interface TSNEResult { embedding: Matrix; /** rows of the input that were embedded, in embedding order */ indices: Int32Array; kl: number }

/**
 * t-SNE is transductive (as scikit-learn's TSNE: fit_transform and embedding_, no transform of
 * new rows): fit() keeps the embedding of the rows it saw, which is what toJSON() stores.
 */
export class TSNE extends BaseEstimator<TSNEParams> {
  readonly kind = 'TSNE';
  readonly params: TSNEParams;
  private result: TSNEResult | null = null;

  constructor(params: Partial<TSNEParams> = {}) {
    super();
    const defaults = { nComponents: 2, perplexity: 30, maxIter: 750, earlyExaggeration: 12, exaggerationIter: 250, learningRate: 0, seed: 0, maxSamples: 3000 };
    this.params = resolveParams(this.kind, defaults, params);
    const p = this.params;
    if (p.nComponents !== 2 && p.nComponents !== 3) throw new InvalidParameterError(`TSNE: nComponents must be 2 or 3, got ${p.nComponents}`);
    if (!(p.perplexity > 1)) throw new InvalidParameterError(`TSNE: perplexity must be > 1, got ${p.perplexity}`);
    if (!(Number.isInteger(p.exaggerationIter) && p.exaggerationIter >= 0)) {
      throw new InvalidParameterError(`TSNE: exaggerationIter must be an integer >= 0, got ${p.exaggerationIter}`);
    }
    if (!(p.maxSamples >= 10 && p.maxSamples <= 5000)) {
      throw new InvalidParameterError(`TSNE: maxSamples must be in 10..5000 (exact t-SNE is O(n^2)), got ${p.maxSamples}`);
    }
  }

  /** Embeds X; the result is then `embedding`, `indices` and `kl`. */
  fit(X: Matrix): this {
    this.result = this.fitTransform(X);
    return this;
  }

  get embedding(): Matrix { return requireFitted(this.kind, this.result).embedding; }
  /** rows of the fitted input that were embedded, in embedding order */
  get indices(): Int32Array { return requireFitted(this.kind, this.result).indices; }
  get kl(): number { return requireFitted(this.kind, this.result).kl; }

  toJSON(): SerializedEstimator<TSNEParams, { embedding: MatrixJSON; indices: number[]; kl: number } | null> {
    const r = this.result;
    const state = r ? { embedding: matrixToJSON(r.embedding), indices: arr(r.indices), kl: r.kl } : null;
    return { kind: this.kind, format: 1, params: { ...this.params }, state };
  }

  static fromJSON(json: SerializedEstimator): TSNE {
    const j = expectKind<TSNEParams, { embedding: MatrixJSON; indices: number[]; kl: number } | null>(json, 'TSNE');
    const m = new TSNE(j.params);
    if (j.state) m.result = { embedding: matrixFromJSON(j.state.embedding), indices: Int32Array.from(j.state.indices), kl: j.state.kl };
    return m;
  }

  fitTransform(X0: Matrix): TSNEResult {
    checkXy(this.kind, X0);
    const p = this.params, rng = new Rng(p.seed);
    let indices = Int32Array.from({ length: X0.rows }, (_, i) => i);
    if (X0.rows > p.maxSamples) indices = rng.shuffle(indices).slice(0, p.maxSamples).sort();
    let X = indices.length === X0.rows ? X0 : takeRows(X0, indices);
    const n = X.rows, dim = p.nComponents;
    if (n <= 3 * p.perplexity) throw new InvalidParameterError(`TSNE: perplexity (${p.perplexity}) must be less than n / 3 (n = ${n})`);
    if (X.cols > 50) X = new PCA({ nComponents: 50 }).fitTransform(X);
    const P = affinities(X, p.perplexity);
    // initial layout: PCA scaled to std 1e-4 on the first axis
    const init = new PCA({ nComponents: Math.min(dim, X.cols) }).fitTransform(X);
    const Y = new Float64Array(n * dim);
    let sd = 0;
    for (let i = 0; i < n; i++) sd += init.data[i * init.cols]! ** 2;
    sd = Math.sqrt(sd / n) || 1;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < dim; c++) Y[i * dim + c] = c < init.cols ? (init.data[i * init.cols + c]! / sd) * 1e-4 : 1e-4 * rng.normal();
    }
    const lr = p.learningRate > 0 ? p.learningRate : Math.max(n / p.earlyExaggeration / 4, 50);
    const update = new Float64Array(n * dim), gains = new Float64Array(n * dim).fill(1), grad = new Float64Array(n * dim);
    const exIters = Math.min(p.exaggerationIter, p.maxIter);
    const g2 = dim === 2 ? tsneGradient2d(n, P) : null;
    for (let it = 0; it < p.maxIter; it++) {
      const exaggeration = it < exIters ? p.earlyExaggeration : 1;
      if (g2) g2.gradient(Y, exaggeration, grad); else gradient(Y, n, dim, P, exaggeration, grad);
      step(Y, grad, update, gains, it < exIters ? 0.5 : 0.8, lr);
      centre(Y, n, dim);
    }
    const Z = g2 ? g2.normaliser(Y) : repulsion(Y, n, dim, null);
    return { embedding: { rows: n, cols: dim, data: Y }, indices, kl: klDivergence(Y, n, dim, P, Z) };
  }
}

/**
 * One step of gradient descent with momentum and per-coordinate gains. A function of its own
 * (as centre()): compiled on its first calls, where as a loop inside fitTransform it ran slowly
 * until that whole method was compiled mid-run.
 */
function step(Y: Float64Array, grad: Float64Array, update: Float64Array, gains: Float64Array, momentum: number, lr: number): void {
  for (let t = 0; t < Y.length; t++) {
    const g = grad[t]!;
    gains[t] = g * update[t]! < 0 ? gains[t]! + 0.2 : Math.max(gains[t]! * 0.8, 0.01);
    update[t] = momentum * update[t]! - lr * gains[t]! * g;
    Y[t] += update[t]!;
  }
}

/** Keeps the layout centred (the objective is translation invariant). */
function centre(Y: Float64Array, n: number, dim: number): void {
  for (let c = 0; c < dim; c++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += Y[i * dim + c]!;
    m /= n;
    for (let i = 0; i < n; i++) Y[i * dim + c] -= m;
  }
}

/**
 * P, symmetric and summing to 1 over ordered pairs, as its strict upper triangle: each point's
 * conditional Gaussian over its K = 3 x perplexity nearest neighbours, its precision calibrated to
 * the perplexity (entropy within 1e-5 nats, as scikit-learn's bisection), then
 * p_ij = (p_j|i + p_i|j) / 2n.
 */
function affinities(X: Matrix, perplexity: number): UpperP {
  const n = X.rows, K = Math.min(n - 1, Math.floor(3 * perplexity));
  const nbr = new Int32Array(n * K), pc = new Float64Array(n * K);
  const dist = new Float64Array(n), sel = new Float64Array(n), dk = new Float64Array(K);
  const target = Math.log(perplexity);
  const distances = rowDistances(X);
  // each row's work in functions of their own (compiled on their first calls; see step())
  for (let i = 0; i < n; i++) {
    distances(i, dist);
    dist[i] = Infinity;
    nearest(dist, sel, K, nbr.subarray(i * K, (i + 1) * K), dk);
    conditional(dk, target, pc.subarray(i * K, (i + 1) * K));
  }
  return symmetrise(n, K, nbr, pc);
}

/**
 * The K nearest rows (nbr: every row below the K-th smallest distance, then rows at it in row
 * order) and their distances less the smallest (dk: the same conditional, without underflow).
 */
function nearest(dist: Float64Array, sel: Float64Array, K: number, nbr: Int32Array, dk: Float64Array): void {
  const n = dist.length;
  sel.set(dist);
  const kth = selectKth(sel, K - 1);
  let m = 0, dmin = Infinity;
  for (let j = 0; j < n; j++) if (dist[j]! < kth) nbr[m++] = j;
  for (let j = 0; j < n && m < K; j++) if (dist[j] === kth) nbr[m++] = j;
  for (let k = 0; k < K; k++) { const v = dist[nbr[k]!]!; dk[k] = v; if (v < dmin) dmin = v; }
  for (let k = 0; k < K; k++) dk[k] -= dmin;
}

/**
 * p_j|i over the neighbours (out), a Gaussian whose precision beta gives the target entropy.
 * The entropy falls as beta grows; Newton steps (dH/dbeta = -beta Var(d)) inside the bracket
 * the bisection keeps, bisection when a step would leave it: a handful of steps, not dozens.
 */
function conditional(dk: Float64Array, target: number, out: Float64Array): void {
  const K = dk.length;
  let beta = 1, lo = 0, hi = Infinity;
  for (let step = 0; step < 100; step++) {
    let sum = 0, hsum = 0, h2sum = 0;
    for (let k = 0; k < K; k++) { const v = dk[k]!, w = Math.exp(-v * beta); sum += w; hsum += w * v; h2sum += w * v * v; }
    const mean = hsum / sum, H = Math.log(sum) + beta * mean; // entropy in nats
    const diff = H - target;
    if (Math.abs(diff) < 1e-5) break;
    if (diff > 0) lo = beta; else hi = beta;
    const next = beta + diff / (beta * (h2sum / sum - mean * mean));
    beta = next > lo && next < hi ? next : diff > 0 ? (hi === Infinity ? beta * 2 : (beta + hi) / 2) : (beta + lo) / 2;
  }
  let sum = 0;
  for (let k = 0; k < K; k++) { const w = Math.exp(-dk[k]! * beta); out[k] = w; sum += w; }
  for (let k = 0; k < K; k++) out[k] /= sum;
}

/** The upper triangle of p_ij = (p_j|i + p_i|j) / 2n from each row's K neighbours and conditionals. */
function symmetrise(n: number, K: number, nbr: Int32Array, pc: Float64Array): UpperP {
  // who lists i as a neighbour (p_i|q for every q), grouped by i
  const revStart = new Int32Array(n + 1);
  for (let t = 0; t < n * K; t++) revStart[nbr[t]! + 1]++;
  for (let i = 0; i < n; i++) revStart[i + 1] += revStart[i]!;
  const revRow = new Int32Array(n * K), revVal = new Float64Array(n * K), fill = revStart.slice(0, n);
  for (let q = 0; q < n; q++) for (let k = 0; k < K; k++) { const t = fill[nbr[q * K + k]!]!++; revRow[t] = q; revVal[t] = pc[q * K + k]!; }
  const rowPtr = new Int32Array(n + 1), cols = new Int32Array(n * K), vals = new Float64Array(n * K);
  const acc = new Float64Array(n), mark = new Int32Array(n).fill(-1), list = new Int32Array(n);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let k = 0; k < K; k++) {
      const j = nbr[i * K + k]!;
      if (j > i) { acc[j] = pc[i * K + k]!; mark[j] = i; list[m++] = j; }
    }
    for (let t = revStart[i]!; t < revStart[i + 1]!; t++) {
      const q = revRow[t]!;
      if (q <= i) continue;
      if (mark[q] !== i) { acc[q] = 0; mark[q] = i; list[m++] = q; }
      acc[q] += revVal[t]!;
    }
    const js = list.subarray(0, m).sort();
    for (let k = 0; k < m; k++) { cols[nnz] = js[k]!; vals[nnz] = acc[js[k]!]! / (2 * n); nnz++; }
    rowPtr[i + 1] = nnz;
  }
  return { rowPtr, cols: cols.slice(0, nnz), vals: vals.slice(0, nnz) };
}

/** The k-th smallest value (0-based) of a, which it reorders (quickselect, median of three). */
function selectKth(a: Float64Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three to a[mid], then Hoare partition around it
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) { swap(a, i, j); i++; j--; }
    }
    if (k <= j) hi = j; else if (k >= i) lo = i; else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!; a[i] = a[j]!; a[j] = t;
}

/** All-pairs repulsion sums into rep (when given) for any dimension; returns Z = sum_{i != j} w_ij. */
function repulsion(Y: Float64Array, n: number, dim: number, rep: Float64Array | null): number {
  let Z = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) { const e = Y[i * dim + c]! - Y[j * dim + c]!; s += e * e; }
      const w = 1 / (1 + s);
      Z += 2 * w;
      if (!rep) continue;
      const w2 = w * w;
      for (let c = 0; c < dim; c++) {
        const f = w2 * (Y[i * dim + c]! - Y[j * dim + c]!);
        rep[i * dim + c] += f; rep[j * dim + c] -= f;
      }
    }
  }
  return Z;
}

/** The gradient for any dimension (3-D layouts; 2-D ones use tsne-wasm.ts). */
function gradient(Y: Float64Array, n: number, dim: number, P: UpperP, ex: number, grad: Float64Array): void {
  const rep = new Float64Array(n * dim), att = new Float64Array(n * dim);
  const Z = repulsion(Y, n, dim, rep);
  const { rowPtr, cols, vals } = P;
  for (let i = 0; i < n; i++) {
    for (let t = rowPtr[i]!; t < rowPtr[i + 1]!; t++) {
      const j = cols[t]!;
      let s = 0;
      for (let c = 0; c < dim; c++) { const e = Y[i * dim + c]! - Y[j * dim + c]!; s += e * e; }
      const q = vals[t]! / (1 + s);
      for (let c = 0; c < dim; c++) {
        const f = q * (Y[i * dim + c]! - Y[j * dim + c]!);
        att[i * dim + c] += f; att[j * dim + c] -= f;
      }
    }
  }
  for (let t = 0; t < n * dim; t++) grad[t] = 4 * (ex * att[t]! - rep[t]! / Z);
}

/** KL(P || Q) over P's entries (each unordered pair counts for both orders). */
function klDivergence(Y: Float64Array, n: number, dim: number, P: UpperP, Z: number): number {
  const { rowPtr, cols, vals } = P;
  let kl = 0;
  for (let i = 0; i < n; i++) for (let t = rowPtr[i]!; t < rowPtr[i + 1]!; t++) {
    const j = cols[t]!;
    let s = 0;
    for (let c = 0; c < dim; c++) { const e = Y[i * dim + c]! - Y[j * dim + c]!; s += e * e; }
    const q = 1 / (1 + s) / Z, p = vals[t]!;
    if (p > 0) kl += 2 * p * Math.log(p / Math.max(q, 1e-300));
  }
  return kl;
}
