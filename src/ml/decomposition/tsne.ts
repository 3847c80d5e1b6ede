// Exact t-SNE (van der Maaten & Hinton 2008) for 2-D/3-D views. Input affinities use each
// point's 3 x perplexity nearest neighbours (as Barnes-Hut t-SNE does: the rest carry
// negligible mass); the repulsive forces are computed exactly over all pairs, O(n^2) per
// iteration, so tables above maxSamples rows are embedded on a seeded random sample.
// Optimiser as in the reference implementation: early exaggeration, momentum, per-coordinate
// gains; PCA initialisation (deterministic, and it preserves global structure).
import { InvalidParameterError } from '../core/errors.ts';
import { checkXy, resolveParams } from '../core/estimator.ts';
import { takeRows, type Matrix } from '../core/matrix.ts';
import { Rng } from '../core/rng.ts';
import { PCA } from './pca.ts';
import { wasmRepulsion2d } from './tsne-wasm.ts';

export interface TSNEParams {
  nComponents: number; perplexity: number; maxIter: number; earlyExaggeration: number;
  /** 0 = auto: max(n / earlyExaggeration / 4, 50) */
  learningRate: number; seed: number; maxSamples: number;
}

export interface TSNEResult { embedding: Matrix; /** rows of the input that were embedded, in embedding order */ indices: Int32Array; kl: number }

export class TSNE {
  readonly kind = 'TSNE';
  readonly params: TSNEParams;

  constructor(params: Partial<TSNEParams> = {}) {
    this.params = resolveParams(this.kind, { nComponents: 2, perplexity: 30, maxIter: 750, earlyExaggeration: 12, learningRate: 0, seed: 0, maxSamples: 3000 }, params);
    const p = this.params;
    if (p.nComponents !== 2 && p.nComponents !== 3) throw new InvalidParameterError(`TSNE: nComponents must be 2 or 3, got ${p.nComponents}`);
    if (!(p.perplexity > 1)) throw new InvalidParameterError(`TSNE: perplexity must be > 1, got ${p.perplexity}`);
    if (!(p.maxSamples >= 10 && p.maxSamples <= 5000)) throw new InvalidParameterError(`TSNE: maxSamples must be in 10..5000 (exact t-SNE is O(n^2)), got ${p.maxSamples}`);
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
    const { rows, cols, vals } = affinities(X, p.perplexity);
    // initial layout: PCA scaled to std 1e-4 on the first axis
    const init = new PCA({ nComponents: Math.min(dim, X.cols) }).fitTransform(X);
    const Y = new Float64Array(n * dim);
    let sd = 0;
    for (let i = 0; i < n; i++) sd += init.data[i * init.cols]! ** 2;
    sd = Math.sqrt(sd / n) || 1;
    for (let i = 0; i < n; i++) for (let c = 0; c < dim; c++) Y[i * dim + c] = c < init.cols ? (init.data[i * init.cols + c]! / sd) * 1e-4 : 1e-4 * rng.normal();
    const lr = p.learningRate > 0 ? p.learningRate : Math.max(n / p.earlyExaggeration / 4, 50);
    const update = new Float64Array(n * dim), gains = new Float64Array(n * dim).fill(1), grad = new Float64Array(n * dim);
    const exIters = Math.min(250, p.maxIter);
    const repulsion = dim === 2 ? (wasmRepulsion2d(n) ?? ((y: Float64Array, r: Float64Array) => repulsion2d(y, n, r))) : null;
    for (let it = 0; it < p.maxIter; it++) {
      const exaggeration = it < exIters ? p.earlyExaggeration : 1;
      gradient(Y, n, dim, rows, cols, vals, exaggeration, grad, repulsion);
      const momentum = it < exIters ? 0.5 : 0.8;
      for (let t = 0; t < n * dim; t++) {
        const g = grad[t]!;
        gains[t] = g * update[t]! < 0 ? gains[t]! + 0.2 : Math.max(gains[t]! * 0.8, 0.01);
        update[t] = momentum * update[t]! - lr * gains[t]! * g;
        Y[t] += update[t]!;
      }
      // keep the layout centred (the objective is translation invariant)
      for (let c = 0; c < dim; c++) {
        let m = 0;
        for (let i = 0; i < n; i++) m += Y[i * dim + c]!;
        m /= n;
        for (let i = 0; i < n; i++) Y[i * dim + c] -= m;
      }
    }
    return { embedding: { rows: n, cols: dim, data: Y }, indices, kl: klDivergence(Y, n, dim, rows, cols, vals) };
  }
}

/** Symmetric sparse P (CSR): conditional Gaussians calibrated to the perplexity by binary search on the precision. */
function affinities(X: Matrix, perplexity: number): { rows: Int32Array; cols: Int32Array; vals: Float64Array } {
  const n = X.rows, d = X.cols, K = Math.min(n - 1, Math.floor(3 * perplexity));
  const nbr = new Int32Array(n * K), pc = new Float64Array(n * K);
  const dist = new Float64Array(n), order = new Int32Array(n);
  const target = Math.log(perplexity);
  const dk = new Float64Array(K);
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) { const e = X.data[i * d + t]! - X.data[j * d + t]!; s += e * e; }
      dist[j] = j === i ? Infinity : s;
    }
    // the K nearest as a stable sort by distance would list them (ties in row order), without
    // sorting all n: the K-th smallest distance from a plain numeric sort, then the rows below
    // it and as many at it as fit, in row order, stably sorted
    sorted.set(dist);
    sorted.sort();
    const kth = sorted[K - 1]!;
    let m = 0;
    for (let j = 0; j < n; j++) if (dist[j]! < kth) order[m++] = j;
    for (let j = 0; j < n && m < K; j++) if (dist[j] === kth) order[m++] = j;
    const near = Array.from(order.subarray(0, K)).sort((a, b) => dist[a]! - dist[b]!);
    for (let k = 0; k < K; k++) { nbr[i * K + k] = near[k]!; dk[k] = dist[near[k]!]!; }
    let beta = 1, lo = 0, hi = Infinity;
    for (let step = 0; step < 100; step++) {
      let sum = 0, hsum = 0;
      for (let k = 0; k < K; k++) { const w = Math.exp(-(dk[k]! - dk[0]!) * beta); sum += w; hsum += w * (dk[k]! - dk[0]!); }
      const H = Math.log(sum) + (beta * hsum) / sum; // entropy in nats
      if (Math.abs(H - target) < 1e-5) break;
      if (H > target) { lo = beta; beta = hi === Infinity ? beta * 2 : (beta + hi) / 2; } else { hi = beta; beta = (beta + lo) / 2; }
    }
    let sum = 0;
    for (let k = 0; k < K; k++) { const w = Math.exp(-(dk[k]! - dk[0]!) * beta); pc[i * K + k] = w; sum += w; }
    for (let k = 0; k < K; k++) pc[i * K + k] /= sum;
  }
  // P = (P_j|i + P_i|j) / 2n, as CSR
  const map: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) {
    const j = nbr[i * K + k]!, v = pc[i * K + k]! / (2 * n);
    map[i]!.set(j, (map[i]!.get(j) ?? 0) + v);
    map[j]!.set(i, (map[j]!.get(i) ?? 0) + v);
  }
  const rows = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rows[i + 1] = rows[i]! + map[i]!.size;
  const cols = new Int32Array(rows[n]!), vals = new Float64Array(rows[n]!);
  for (let i = 0; i < n; i++) {
    let t = rows[i]!;
    for (const [j, v] of [...map[i]!].sort((a, b) => a[0] - b[0])) { cols[t] = j; vals[t] = v; t++; }
  }
  return { rows, cols, vals };
}

function gradient(Y: Float64Array, n: number, dim: number, rows: Int32Array, cols: Int32Array, vals: Float64Array, ex: number, grad: Float64Array, repulsion: ((Y: Float64Array, rep: Float64Array) => number) | null): void {
  grad.fill(0);
  // repulsion over all pairs: -4 sum_j w_ij^2 / Z (y_i - y_j)
  let Z = 0;
  const rep = new Float64Array(n * dim);
  if (repulsion) Z = repulsion(Y, rep);
  else for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) { const e = Y[i * dim + c]! - Y[j * dim + c]!; s += e * e; }
      const w = 1 / (1 + s);
      Z += 2 * w;
      const w2 = w * w;
      for (let c = 0; c < dim; c++) {
        const f = w2 * (Y[i * dim + c]! - Y[j * dim + c]!);
        rep[i * dim + c] += f; rep[j * dim + c] -= f;
      }
    }
  }
  // attraction over the sparse P: 4 sum_j p_ij w_ij (y_i - y_j)
  if (dim === 2) attraction2d(Y, n, rows, cols, vals, ex, grad);
  else for (let i = 0; i < n; i++) {
    for (let t = rows[i]!; t < rows[i + 1]!; t++) {
      const j = cols[t]!;
      let s = 0;
      for (let c = 0; c < dim; c++) { const e = Y[i * dim + c]! - Y[j * dim + c]!; s += e * e; }
      const f = ex * vals[t]! / (1 + s);
      for (let c = 0; c < dim; c++) grad[i * dim + c] += 4 * f * (Y[i * dim + c]! - Y[j * dim + c]!);
    }
  }
  for (let t = 0; t < n * dim; t++) grad[t] -= (4 * rep[t]!) / Z;
}

/**
 * The all-pairs loop of gradient() for 2-D layouts, with row i's coordinates and forces held in
 * locals: the same operations in the same order (so the same floating-point result), without the
 * per-pair inner loops over the dimension that kept V8 from registerising them (~5x faster).
 */
function repulsion2d(Y: Float64Array, n: number, rep: Float64Array): number {
  let Z = 0;
  for (let i = 0; i < n; i++) {
    const yi0 = Y[2 * i]!, yi1 = Y[2 * i + 1]!;
    let r0 = rep[2 * i]!, r1 = rep[2 * i + 1]!;
    for (let j = i + 1; j < n; j++) {
      const e0 = yi0 - Y[2 * j]!, e1 = yi1 - Y[2 * j + 1]!;
      const w = 1 / (1 + (e0 * e0 + e1 * e1));
      Z += 2 * w;
      const w2 = w * w;
      const f0 = w2 * e0, f1 = w2 * e1;
      r0 += f0; r1 += f1;
      rep[2 * j] -= f0; rep[2 * j + 1] -= f1;
    }
    rep[2 * i] = r0; rep[2 * i + 1] = r1;
  }
  return Z;
}

/** The sparse attraction loop of gradient() for 2-D layouts (same operations, same order). */
function attraction2d(Y: Float64Array, n: number, rows: Int32Array, cols: Int32Array, vals: Float64Array, ex: number, grad: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const yi0 = Y[2 * i]!, yi1 = Y[2 * i + 1]!;
    let g0 = grad[2 * i]!, g1 = grad[2 * i + 1]!;
    for (let t = rows[i]!, end = rows[i + 1]!; t < end; t++) {
      const j = cols[t]!;
      const e0 = yi0 - Y[2 * j]!, e1 = yi1 - Y[2 * j + 1]!;
      const f = ex * vals[t]! / (1 + (e0 * e0 + e1 * e1));
      g0 += 4 * f * e0; g1 += 4 * f * e1;
    }
    grad[2 * i] = g0; grad[2 * i + 1] = g1;
  }
}

function klDivergence(Y: Float64Array, n: number, dim: number, rows: Int32Array, cols: Int32Array, vals: Float64Array): number {
  let Z = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    let s = 0;
    for (let c = 0; c < dim; c++) { const e = Y[i * dim + c]! - Y[j * dim + c]!; s += e * e; }
    Z += 2 / (1 + s);
  }
  let kl = 0;
  for (let i = 0; i < n; i++) for (let t = rows[i]!; t < rows[i + 1]!; t++) {
    const j = cols[t]!;
    let s = 0;
    for (let c = 0; c < dim; c++) { const e = Y[i * dim + c]! - Y[j * dim + c]!; s += e * e; }
    const q = 1 / (1 + s) / Z, p = vals[t]!;
    if (p > 0) kl += p * Math.log(p / Math.max(q, 1e-300));
  }
  return kl;
}
