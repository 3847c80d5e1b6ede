// Item-based k-nearest neighbours: cosine similarity between item columns (optionally shrunk
// towards 0 for rarely co-occurring pairs), pruned to each item's top k neighbours, and a user's
// score for item j = sum over history items i of w_ui * sim(i, j).
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { resolveParams, requireFitted, BaseEstimator } from '../core/estimator.ts';
import type { Interactions } from './interactions.ts';
import { WEIGHTINGS, WEIGHTING_DEFAULTS, checkWeighting, weightValues, type Weighting } from './weighting.ts';
import {
  checkSerialized, decodeF32, decodeI32, deserializeInteractions, encodeArray, recommendFrom, serializeInteractions,
  topN, type RecommendOptions, type Recommendation, type Recommender, type SerializedRecommender,
} from './recommender.ts';

export interface ItemKnnParams {
  /** neighbours kept per item */
  k: number;
  /** sim = dot / (|i| |j| + shrink) */
  shrink: number;
  /** values taken as 1 before weighting */
  binary: boolean;
  /** weighting of the (binary or raw) values before similarities and scores (weighting.ts) */
  weighting: Weighting;
  epsilon: number;
  bm25K1: number;
  bm25B: number;
}

export const ITEM_KNN_DEFAULTS: ItemKnnParams = { k: 100, shrink: 0, binary: true, weighting: 'linear', ...WEIGHTING_DEFAULTS };

interface KnnState { indptr: Int32Array; indices: Int32Array; sims: Float32Array }

export class ItemKnn extends BaseEstimator<ItemKnnParams> implements Recommender<ItemKnnParams> {
  readonly kind = 'item-knn';
  readonly params: ItemKnnParams;
  data: Interactions | undefined;
  state: KnnState | undefined;
  /** the training users' weighted values (what a history contributes to a score) */
  private userVals: Float32Array | undefined;

  constructor(params: Partial<ItemKnnParams> = {}) {
    super();
    this.params = resolveParams('item-knn', ITEM_KNN_DEFAULTS, params);
    if (!Number.isInteger(this.params.k) || this.params.k < 1) {
      throw new InvalidParameterError(`item-knn: parameter "k" must be a positive integer, got ${this.params.k}`);
    }
    if (!(this.params.shrink >= 0)) throw new InvalidParameterError(`item-knn: parameter "shrink" must be >= 0, got ${this.params.shrink}`);
    checkWeighting('item-knn', 'weighting', this.params.weighting, WEIGHTINGS, this.params);
  }

  /** The values similarities and scores use, aligned with data.byUser / data.byItem. */
  private values(data: Interactions, side: 'user' | 'item'): Float32Array {
    return weightValues(data, side, this.params.weighting, this.params, this.params.binary);
  }

  async fit(data: Interactions): Promise<this> {
    const n = data.nItems;
    if (n === 0) throw new InvalidInputError('item-knn: no items to fit');
    const { shrink } = this.params;
    const k = Math.min(this.params.k, Math.max(1, n - 1));
    const byItem = data.byItem, byUser = data.byUser;
    const itemVals = this.values(data, 'item'), userVals = this.values(data, 'user');
    const norm = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let a = byItem.indptr[i]!; a < byItem.indptr[i + 1]!; a++) s += itemVals[a]! ** 2;
      norm[i] = Math.sqrt(s);
    }
    const acc = new Float64Array(n);
    const touched = new Int32Array(n);
    const mark = new Uint8Array(n);
    const outPtr = new Int32Array(n + 1);
    const outIdx: number[] = [];
    const outSim: number[] = [];
    const cand = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // co-occurrence of i with every item, through i's users
      let nt = 0;
      for (let a = byItem.indptr[i]!; a < byItem.indptr[i + 1]!; a++) {
        const u = byItem.indices[a]!, wi = itemVals[a]!;
        for (let b = byUser.indptr[u]!; b < byUser.indptr[u + 1]!; b++) {
          const j = byUser.indices[b]!;
          if (j === i) continue;
          if (!mark[j]) { mark[j] = 1; touched[nt++] = j; }
          acc[j]! += wi * userVals[b]!;
        }
      }
      const list = touched.subarray(0, nt);
      for (let t = 0; t < nt; t++) {
        const j = list[t]!;
        cand[t] = acc[j]! / (norm[i]! * norm[j]! + shrink);
      }
      const best = topN(cand, 0, nt, k);
      for (const t of best) { outIdx.push(list[t]!); outSim.push(cand[t]!); }
      outPtr[i + 1] = outIdx.length;
      for (let t = 0; t < nt; t++) { const j = list[t]!; acc[j] = 0; mark[j] = 0; }
    }
    this.state = { indptr: outPtr, indices: Int32Array.from(outIdx), sims: Float32Array.from(outSim) };
    this.data = data;
    this.userVals = userVals;
    return this;
  }

  scoreUsers(users: Int32Array): Float32Array {
    const s = requireFitted('item-knn', this.state);
    const { indptr, indices } = this.data!.byUser;
    this.userVals ??= this.values(this.data!, 'user');
    const w = this.userVals;
    const n = this.data!.nItems;
    const out = new Float32Array(users.length * n);
    const acc = new Float64Array(n);
    for (let b = 0; b < users.length; b++) {
      const u = users[b]!;
      acc.fill(0);
      for (let a = indptr[u]!; a < indptr[u + 1]!; a++) {
        const i = indices[a]!, x = w[a]!;
        for (let c = s.indptr[i]!; c < s.indptr[i + 1]!; c++) acc[s.indices[c]!]! += x * s.sims[c]!;
      }
      out.set(acc, b * n);
    }
    return out;
  }

  recommend(user: number | string, n: number, opts?: RecommendOptions): Recommendation[] {
    requireFitted('item-knn', this.state);
    return recommendFrom(this, this.data!, user, n, opts);
  }

  /** The k most similar items to one item, best first (for "because you liked X"). */
  neighbours(item: number): Array<{ index: number; similarity: number }> {
    const s = requireFitted('item-knn', this.state);
    const out: Array<{ index: number; similarity: number }> = [];
    for (let c = s.indptr[item]!; c < s.indptr[item + 1]!; c++) out.push({ index: s.indices[c]!, similarity: s.sims[c]! });
    return out;
  }

  toJSON(): SerializedRecommender<ItemKnnParams> {
    const s = requireFitted('item-knn', this.state);
    return {
      kind: this.kind, format: 1, params: { ...this.params }, data: serializeInteractions(this.data!),
      state: { indptr: encodeArray(s.indptr), indices: encodeArray(s.indices), sims: encodeArray(s.sims) },
    };
  }

  static fromJSON(json: SerializedRecommender<ItemKnnParams>): ItemKnn {
    checkSerialized('item-knn', json);
    const m = new ItemKnn(json.params);
    m.data = deserializeInteractions(json.data);
    const st = json.state as any;
    m.state = { indptr: decodeI32(st.indptr), indices: decodeI32(st.indices), sims: decodeF32(st.sims) };
    if (m.state.indptr.length !== m.data.nItems + 1) throw new InvalidInputError('item-knn.fromJSON: neighbour lists do not match the item count');
    return m;
  }
}
