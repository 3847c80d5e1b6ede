// Mini-batch k-means (Sculley 2010) for large n: each step assigns a random batch and moves each
// centre towards its batch points with a per-centre learning rate 1 / (points seen so far).
// Centres are seeded by k-means++ on a random sample of 3 x batchSize rows.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { checkCols, checkXy, requireFitted, resolveParams, type Estimator, type SerializedEstimator, BaseEstimator } from '../core/estimator.ts';
import { takeRows, type Matrix } from '../core/matrix.ts';
import type { OnnxModelSpec } from '../core/onnx-spec.ts';
import { Rng } from '../core/rng.ts';
import { arr, expectKind, f64 } from '../data/json.ts';
import { assignRange, kmeansPlusPlus, nearestCentres } from './kernels.ts';
import { validateKMeansParams } from './kmeans.ts';

export interface MiniBatchKMeansParams { nClusters: number; batchSize: number; maxIter: number; seed: number; tol: number }
interface State { centers: Float64Array; k: number; d: number; inertia: number; nSteps: number }

export class MiniBatchKMeans extends BaseEstimator<MiniBatchKMeansParams> implements Estimator<MiniBatchKMeansParams> {
  readonly kind = 'MiniBatchKMeans';
  readonly params: MiniBatchKMeansParams;
  private state: State | null = null;

  constructor(params: Partial<MiniBatchKMeansParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { nClusters: 8, batchSize: 1024, maxIter: 100, seed: 0, tol: 0 }, params);
    validateKMeansParams(this.kind, this.params);
    if (!Number.isInteger(this.params.batchSize) || this.params.batchSize < 1) {
      throw new InvalidParameterError(`MiniBatchKMeans: batchSize must be an integer >= 1, got ${this.params.batchSize}`);
    }
  }

  /** maxIter counts passes over the data (epochs), as in sklearn; tol > 0 stops early when centres move less than tol (squared) in a step */
  fit(X: Matrix): this {
    checkXy(this.kind, X);
    const { rows: n, cols: d } = X, k = this.params.nClusters;
    if (n < k) throw new InvalidInputError(`MiniBatchKMeans: ${n} rows is fewer than nClusters = ${k}`);
    const rng = new Rng(this.params.seed);
    const b = Math.min(this.params.batchSize, n);
    const initIdx = sample(n, Math.min(n, Math.max(3 * b, k)), rng);
    const initX = takeRows(X, initIdx);
    const centers = kmeansPlusPlus(initX.data, initX.rows, d, k, rng);
    const seen = new Float64Array(k);
    const steps = Math.ceil((this.params.maxIter * n) / b);
    const labels = new Int32Array(b);
    const sums = new Float64Array(k * d), counts = new Float64Array(k);
    let s = 0;
    for (; s < steps; s++) {
      const batch = takeRows(X, sample(n, b, rng));
      labels.fill(-1); sums.fill(0); counts.fill(0);
      assignRange(batch.data, d, 0, b, centers, k, labels, sums, counts);
      let shift = 0;
      for (let c = 0; c < k; c++) {
        if (counts[c] === 0) continue;
        seen[c] += counts[c]!;
        // moving towards the batch mean with weight count/seen is the per-point 1/seen update applied in bulk
        const eta = counts[c]! / seen[c]!;
        for (let j = 0; j < d; j++) {
          const old = centers[c * d + j]!;
          const nv = old + eta * (sums[c * d + j]! / counts[c]! - old);
          centers[c * d + j] = nv;
          shift += (nv - old) * (nv - old);
        }
      }
      if (this.params.tol > 0 && shift < this.params.tol) { s++; break; }
    }
    const all = new Int32Array(n).fill(-1);
    const r = assignRange(X.data, d, 0, n, centers, k, all, new Float64Array(k * d), new Float64Array(k));
    this.state = { centers, k, d, inertia: r.inertia, nSteps: s };
    return this;
  }

  get centers(): Matrix { const s = requireFitted(this.kind, this.state); return { rows: s.k, cols: s.d, data: s.centers.slice() }; }
  get inertia(): number { return requireFitted(this.kind, this.state).inertia; }

  predict(X: Matrix): Int32Array {
    const s = requireFitted(this.kind, this.state);
    checkXy(this.kind, X);
    checkCols(this.kind, X, s.d);
    return nearestCentres(X.data, X.rows, s.d, s.centers, s.k);
  }

  toOnnxSpec(): OnnxModelSpec {
    const s = requireFitted(this.kind, this.state);
    return { inputs: Array.from({ length: s.d }, (_, j) => ({ name: `f${j}`, kind: 'numeric' as const })), model: { type: 'kmeans', centers: this.centers } };
  }

  toJSON(): SerializedEstimator<MiniBatchKMeansParams> {
    const s = this.state;
    return { kind: this.kind, format: 1, params: { ...this.params }, state: s ? { ...s, centers: arr(s.centers) } : null };
  }

  static fromJSON(json: SerializedEstimator): MiniBatchKMeans {
    const j = expectKind<MiniBatchKMeansParams, (Omit<State, 'centers'> & { centers: number[] }) | null>(json, 'MiniBatchKMeans');
    const m = new MiniBatchKMeans(j.params);
    if (j.state) m.state = { ...j.state, centers: f64(j.state.centers) };
    return m;
  }
}

/** m row indices drawn uniformly with replacement (cheap, and what mini-batches need) */
function sample(n: number, m: number, rng: Rng): Int32Array {
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) out[i] = rng.int(n);
  return out;
}
