// The one interface every recommender follows, and the parts they share: resolving a user,
// masking what the user has already seen, picking the top N, and (de)serialising typed arrays.
import { InvalidInputError } from '../core/errors.ts';
import type { HasParams } from '../core/estimator.ts';
import { Interactions, type Csr } from './interactions.ts';

export interface Recommendation {
  item: string;
  index: number;
  score: number;
}

export interface RecommendOptions {
  /** never return items in the user's training history (default true) */
  excludeSeen?: boolean;
  /** further item indices to leave out */
  exclude?: Iterable<number>;
}

export interface SerializedRecommender<P = Record<string, unknown>> {
  kind: string;
  format: 1;
  params: P;
  /** ids and training matrix: needed to exclude seen items and, for EASE/kNN, to score */
  data: SerializedInteractions;
  state: Record<string, unknown>;
}

export interface Recommender<P extends object = Record<string, unknown>> extends HasParams<P> {
  /** the training data of the last fit */
  readonly data: Interactions | undefined;
  fit(data: Interactions): Promise<this>;
  /**
   * Dense scores for a batch of users (row-major users.length x nItems), seen items NOT masked:
   * the evaluator and recommend() mask them.
   */
  scoreUsers(users: Int32Array): Float32Array;
  /**
   * Optional fast path for one user (a serving kernel may provide it): the k best items by the
   * very scores scoreUsers gives (ties to the lower index), leaving out masked[0 .. maskedCount),
   * indices best first into idx and scores into score; returns how many.
   */
  topItems?(user: number, k: number, masked: Int32Array, maskedCount: number, idx: Int32Array, score: Float32Array): number;
  recommend(user: number | string, n: number, opts?: RecommendOptions): Recommendation[];
  toJSON(): SerializedRecommender<P>;
}

/** Resolves an id or index to a user index, with an error naming the unknown user. */
export function userIndexOf(data: Interactions, user: number | string): number {
  if (typeof user === 'number') {
    if (!Number.isInteger(user) || user < 0 || user >= data.nUsers) {
      throw new InvalidInputError(`user index ${user} is out of range (0..${data.nUsers - 1})`);
    }
    return user;
  }
  const u = data.userIndex.get(user);
  if (u === undefined) throw new InvalidInputError(`unknown user "${user}" (not in the training data)`);
  return u;
}

/** The shared recommend(): score one user, mask, take the top n. */
export function recommendFrom(model: Recommender<any>, data: Interactions, user: number | string, n: number, opts: RecommendOptions = {}): Recommendation[] {
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`recommend: n must be a positive integer, got ${n}`);
  const u = userIndexOf(data, user);
  const scores = model.scoreUsers(Int32Array.of(u));
  if (opts.excludeSeen !== false) maskSeen(scores, 0, data.byUser, u);
  for (const i of opts.exclude ?? []) if (i >= 0 && i < scores.length) scores[i] = -Infinity;
  const top = topN(scores, 0, data.nItems, n);
  return [...top].map((i) => ({ item: data.itemIds[i]!, index: i, score: scores[i]! }));
}

/** Sets the scores of user u's training items to -Infinity in row `row` of a score block. */
export function maskSeen(scores: Float32Array, offset: number, byUser: Csr, u: number): void {
  for (let k = byUser.indptr[u]!; k < byUser.indptr[u + 1]!; k++) scores[offset + byUser.indices[k]!] = -Infinity;
}

/**
 * Indices of the n largest finite scores in scores[offset..offset+len), best first; ties go to
 * the lower index so results are deterministic. A bounded min-heap over typed arrays (score and
 * index side by side, no closures): one comparison per score for all but the few that enter the
 * heap, O(len + n log n log(len / n)), and never a sort of the whole row.
 */
export function topN(scores: Float32Array | Float64Array, offset: number, len: number, n: number): Int32Array {
  const k = Math.max(0, Math.min(n, len));
  const hs = new Float64Array(k), hi = new Int32Array(k);
  const size = heapSelect(scores, offset, len, k, hs, hi);
  return drainHeap(hs, hi, size, new Int32Array(size));
}

/**
 * Fills the min-heap (hs scores, hi indices; the root is the worst: lowest score, then highest
 * index) with the k best finite scores of the range; returns how many it holds. The buffers may
 * be reused between calls (no allocation).
 */
export function heapSelect(scores: Float32Array | Float64Array, offset: number, len: number, k: number, hs: Float64Array, hi: Int32Array): number {
  let size = 0;
  if (k <= 0) return 0;
  let i = 0;
  for (; i < len && size < k; i++) {
    const s = scores[offset + i]!;
    if (!(s > -Infinity)) continue; // masked or NaN
    // sift up: a parent is worse when its score is lower, or equal with a higher index
    let c = size++;
    while (c > 0) {
      const p = (c - 1) >> 1, ps = hs[p]!;
      if (ps < s || (ps === s && hi[p]! > i)) break;
      hs[c] = ps; hi[c] = hi[p]!; c = p;
    }
    hs[c] = s; hi[c] = i;
  }
  let min = size ? hs[0]! : Infinity;
  for (; i < len; i++) {
    const s = scores[offset + i]!;
    // later indices lose ties, so only a strictly higher score enters (NaN and -Infinity never do)
    if (!(s > min)) continue;
    siftDown(hs, hi, size, s, i);
    min = hs[0]!;
  }
  return size;
}

/** Puts (s, idx) at the root and sifts it down. */
function siftDown(hs: Float64Array, hi: Int32Array, size: number, s: number, idx: number): void {
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= size) break;
    let m = l, ms = hs[l]!;
    const r = l + 1;
    if (r < size) { const rs = hs[r]!; if (rs < ms || (rs === ms && hi[r]! > hi[l]!)) { m = r; ms = rs; } }
    // stop when the child is better than the new entry
    if (ms > s || (ms === s && hi[m]! < idx)) break;
    hs[c] = ms; hi[c] = hi[m]!; c = m;
  }
  hs[c] = s; hi[c] = idx;
}

/** Empties a heap of `size` entries into out[0..size), best first (the heap is consumed). */
export function drainHeap(hs: Float64Array, hi: Int32Array, size: number, out: Int32Array): Int32Array {
  for (let end = size - 1; end >= 0; end--) {
    out[end] = hi[0]!;
    const s = hs[end]!, idx = hi[end]!;
    if (end > 0) siftDown(hs, hi, end, s, idx);
  }
  return out;
}

// ---- serialisation: typed arrays as base64 of their bytes (exact, compact) ----

export interface EncodedArray { dtype: 'f32' | 'f64' | 'i32'; length: number; b64: string }

export function encodeArray(a: Float32Array | Float64Array | Int32Array): EncodedArray {
  const dtype = a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32';
  return { dtype, length: a.length, b64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64') };
}

export function decodeArray(e: EncodedArray): Float32Array | Float64Array | Int32Array {
  const buf = Buffer.from(e.b64, 'base64');
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  const a = e.dtype === 'f32' ? new Float32Array(copy) : e.dtype === 'f64' ? new Float64Array(copy) : new Int32Array(copy);
  if (a.length !== e.length) throw new InvalidInputError(`serialised array: expected ${e.length} values, got ${a.length}`);
  return a;
}

export const decodeF32 = (e: EncodedArray) => asType(decodeArray(e), Float32Array, 'f32');
export const decodeF64 = (e: EncodedArray) => asType(decodeArray(e), Float64Array, 'f64');
export const decodeI32 = (e: EncodedArray) => asType(decodeArray(e), Int32Array, 'i32');

function asType<T>(a: unknown, ctor: new (...args: any[]) => T, name: string): T {
  if (!(a instanceof ctor)) throw new InvalidInputError(`serialised array: expected dtype ${name}`);
  return a;
}

export interface SerializedInteractions {
  userIds: string[];
  itemIds: string[];
  indptr: EncodedArray;
  indices: EncodedArray;
  data: EncodedArray;
}

export function serializeInteractions(m: Interactions): SerializedInteractions {
  return {
    userIds: m.userIds, itemIds: m.itemIds,
    indptr: encodeArray(m.byUser.indptr), indices: encodeArray(m.byUser.indices), data: encodeArray(m.byUser.data),
  };
}

export function deserializeInteractions(s: SerializedInteractions): Interactions {
  return new Interactions(s.userIds, s.itemIds, {
    rows: s.userIds.length, cols: s.itemIds.length,
    indptr: decodeI32(s.indptr), indices: decodeI32(s.indices), data: decodeF32(s.data),
  });
}

export function checkSerialized(kind: string, json: SerializedRecommender<any>): void {
  if (!json || json.kind !== kind) throw new InvalidInputError(`${kind}.fromJSON: expected kind "${kind}", got ${JSON.stringify(json?.kind)}`);
  if (json.format !== 1) throw new InvalidInputError(`${kind}.fromJSON: unsupported format ${JSON.stringify(json.format)}`);
}
