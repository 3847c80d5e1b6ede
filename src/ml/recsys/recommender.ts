// The one interface every recommender follows, and the parts they share: resolving a user,
// masking what the user has already seen, picking the top N, and (de)serialising typed arrays.
import { InvalidInputError } from '../core/errors.ts';
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

export interface Recommender<P extends object = Record<string, unknown>> {
  readonly kind: string;
  readonly params: Readonly<P>;
  /** the training data of the last fit */
  readonly data: Interactions | undefined;
  fit(data: Interactions): Promise<this>;
  /**
   * Dense scores for a batch of users (row-major users.length x nItems), seen items NOT masked:
   * the evaluator and recommend() mask them.
   */
  scoreUsers(users: Int32Array): Float32Array;
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
 * the lower index so results are deterministic. A bounded min-heap: O(len log n).
 */
export function topN(scores: Float32Array | Float64Array, offset: number, len: number, n: number): Int32Array {
  const k = Math.min(n, len);
  const heap = new Int32Array(k);
  let size = 0;
  // "worse" = lower score, or equal score and higher index
  const worse = (a: number, b: number) => {
    const sa = scores[offset + a]!, sb = scores[offset + b]!;
    return sa < sb || (sa === sb && a > b);
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < size && worse(heap[l]!, heap[m]!)) m = l;
      if (r < size && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      const t = heap[i]!; heap[i] = heap[m]!; heap[m] = t; i = m;
    }
  };
  for (let i = 0; i < len; i++) {
    const s = scores[offset + i]!;
    if (!(s > -Infinity)) continue; // masked or NaN
    if (size < k) {
      heap[size] = i;
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(heap[c]!, heap[p]!)) break;
        const t = heap[c]!; heap[c] = heap[p]!; heap[p] = t; c = p;
      }
    } else if (s >= scores[offset + heap[0]!]! && worse(heap[0]!, i)) { // cheap reject first: most scores are below the heap's minimum
      heap[0] = i;
      down(0);
    }
  }
  const out = heap.slice(0, size);
  const arr = Array.from(out).sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  return Int32Array.from(arr);
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
