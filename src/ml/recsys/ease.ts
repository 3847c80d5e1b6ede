// EASE (Steck 2019): a closed-form item-item model. G = X^T X + lambda I, P = G^-1,
// B = -P / diag(P) (column-wise), diag(B) = 0; a user's scores are x_u B.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { resolveParams, requireFitted, BaseEstimator } from '../core/estimator.ts';
import type { Interactions } from './interactions.ts';
import { spdInverseInPlace, spdInverseWith, spdViews, useSpdKernel } from './spd-inverse.ts';
import { spdKernel, spdMemory, spdModule } from './spd-wasm.ts';
import { threadPool } from '../../util/thread-pool.ts';
import { RECSYS_TASKS } from './als.ts';
import { defaultThreads } from '../../util/workers.ts';
import {
  checkSerialized, decodeF32, deserializeInteractions, encodeArray, recommendFrom, serializeInteractions,
  type RecommendOptions, type Recommendation, type Recommender, type SerializedRecommender,
} from './recommender.ts';

export interface EaseParams {
  /** L2 regularisation added to the Gram diagonal */
  lambda: number;
  /** use 0/1 instead of the weights (as the anchor does) */
  binary: boolean;
  /** threads for the O(n^3) inverse: 0 = one per core from 512 items up; 1 = no workers */
  threads: number;
}

export const EASE_DEFAULTS: EaseParams = { lambda: 200, binary: true, threads: 0 };

/** Dense n^2 memory grows fast: refuse catalogues where B alone would pass ~1.6 GB. */
const MAX_ITEMS = 20_000;

export class Ease extends BaseEstimator<EaseParams> implements Recommender<EaseParams> {
  readonly kind = 'ease';
  readonly params: EaseParams;
  data: Interactions | undefined;
  /** B, items x items, row-major */
  weights: Float32Array | undefined;

  constructor(params: Partial<EaseParams> = {}) {
    super();
    this.params = resolveParams('ease', EASE_DEFAULTS, params);
    if (!(this.params.lambda > 0)) throw new InvalidParameterError(`ease: parameter "lambda" must be > 0, got ${this.params.lambda}`);
    if (!Number.isInteger(this.params.threads) || this.params.threads < 0) {
      throw new InvalidParameterError(`ease: parameter "threads" must be an integer >= 0, got ${this.params.threads}`);
    }
  }

  async fit(data: Interactions): Promise<this> {
    const n = data.nItems;
    if (n === 0) throw new InvalidInputError('ease: no items to fit');
    if (n > MAX_ITEMS) throw new InvalidInputError(`ease: ${n} items is more than the ${MAX_ITEMS} a dense item x item model can hold; use als or item-knn`);
    const threads = this.params.threads === 0 ? (n >= 512 ? defaultThreads() : 1) : this.params.threads;
    // with workers, G (and the inverse's work matrix) live in shared memory
    const G = threads > 1 && !spdModule() ? new Float64Array(new SharedArrayBuffer(n * n * 8)) : new Float64Array(n * n);
    const { indptr, indices, data: w } = data.byUser;
    const binary = this.params.binary;
    // Gram of the (binary) user rows, upper triangle, one row of G at a time: for item i, each of
    // its users adds their items j >= i. The writes stay in one cache-resident row of G instead of
    // scattering over the whole n x n matrix (the same additions in the same order per entry).
    const byItem = data.byItem;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      for (let t = byItem.indptr[i]!; t < byItem.indptr[i + 1]!; t++) {
        const u = byItem.indices[t]!;
        let lo = indptr[u]!, hi = indptr[u + 1]! - 1;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (indices[mid]! < i) lo = mid + 1; else hi = mid; } // position of i in u's sorted row
        const wi = binary ? 1 : w[lo]!;
        for (let b = lo; b < indptr[u + 1]!; b++) G[row + indices[b]!]! += wi * (binary ? 1 : w[b]!);
      }
    }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) G[j * n + i] = G[i * n + j]!;
      G[i * n + i]! += this.params.lambda;
    }
    const P = threads > 1 ? await parallelInverse(G, n, threads) : spdInverseInPlace(G, n);
    const B = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) B[i * n + j] = i === j ? 0 : -P[i * n + j]! / P[j * n + j]!;
    }
    this.weights = B;
    this.data = data;
    return this;
  }

  scoreUsers(users: Int32Array): Float32Array {
    const B = requireFitted('ease', this.weights);
    const { indptr, indices, data: w } = this.data!.byUser;
    const n = this.data!.nItems;
    const out = new Float32Array(users.length * n);
    const acc = new Float64Array(n);
    for (let b = 0; b < users.length; b++) {
      const u = users[b]!;
      acc.fill(0);
      let k = indptr[u]!;
      const end = indptr[u + 1]!;
      if (this.params.binary) {
        // four history rows per pass over acc: a quarter of the accumulator traffic (the four
        // float32 weights sum exactly in float64, so only acc's own float64 rounding differs
        // from row-at-a-time sums, far below the float32 scores' precision)
        for (; k + 4 <= end; k += 4) {
          const r0 = indices[k]! * n, r1 = indices[k + 1]! * n, r2 = indices[k + 2]! * n, r3 = indices[k + 3]! * n;
          for (let j = 0; j < n; j++) acc[j]! += (B[r0 + j]! + B[r1 + j]!) + (B[r2 + j]! + B[r3 + j]!);
        }
      }
      for (; k < end; k++) {
        const x = this.params.binary ? 1 : w[k]!, row = indices[k]! * n;
        for (let j = 0; j < n; j++) acc[j]! += x * B[row + j]!;
      }
      out.set(acc, b * n);
    }
    return out;
  }

  recommend(user: number | string, n: number, opts?: RecommendOptions): Recommendation[] {
    requireFitted('ease', this.weights);
    return recommendFrom(this, this.data!, user, n, opts);
  }

  toJSON(): SerializedRecommender<EaseParams> {
    const B = requireFitted('ease', this.weights);
    return { kind: this.kind, format: 1, params: { ...this.params }, data: serializeInteractions(this.data!), state: { weights: encodeArray(B) } };
  }

  static fromJSON(json: SerializedRecommender<EaseParams>): Ease {
    checkSerialized('ease', json);
    const m = new Ease(json.params);
    m.data = deserializeInteractions(json.data);
    const B = decodeF32((json.state as any).weights);
    if (B.length !== m.data.nItems * m.data.nItems) throw new InvalidInputError('ease.fromJSON: weights do not match the item count');
    m.weights = B;
    return m;
  }
}

async function parallelInverse(G0: Float64Array, n: number, threads: number): Promise<Float64Array> {
  // G and W in one shared WebAssembly memory when the SIMD kernel is available, so every thread
  // runs its dot products in it; else plain SharedArrayBuffers and the JavaScript loop
  const memory = spdMemory(2 * n * n * 8), module = spdModule();
  let G = G0, W: Float64Array;
  if (memory && module) {
    ({ G, W } = spdViews(memory, n));
    G.set(G0);
  } else W = new Float64Array(new SharedArrayBuffer(n * n * 8));
  const pool = await threadPool().hold(threads, RECSYS_TASKS);
  const prev = memory && module ? spdKernel(memory, module) : null;
  try {
    useSpdKernel(prev);
    await pool.broadcast('spdInit', { G, W, n, ...(memory && module ? { wasm: { memory, module } } : {}) });
    return await spdInverseWith(G, W, n, async (tasks) => { await pool.map('run', tasks.map((task) => ({ op: 'spd', task }))); }, threads);
  } finally {
    useSpdKernel(null);
    await pool.broadcast('spdInit', null).catch(() => {});
    pool.release();
  }
}
