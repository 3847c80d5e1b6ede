// How raw interaction values (play counts, strengths) become the values a recommender fits on.
// Raw counts span five orders of magnitude in real listening logs (1 to several hundred thousand
// plays of one artist by one user); taken linearly, a few heavy pairs decide every factor
// ("collapsed" models). The schemes, as in the literature and in the `implicit` library:
//   linear  w                                  (Hu, Koren, Volinsky 2008, c = 1 + alpha * w)
//   log     log(1 + w / epsilon)               (the same paper's alternative scaling)
//   bm25    w (K1 + 1) / (K1 * lenNorm_u + w) * idf_i,
//           lenNorm_u = 1 - B + B * rowSum_u / mean rowSum, idf_i = log(nUsers) - log1p(users of i)
//   tfidf   sqrt(w) * idf_i
// 'auto' is log on count data (some value above 1) and linear on 0/1 data, where the two differ
// only by alpha.
import { InvalidParameterError } from '../core/errors.ts';
import type { Csr, Interactions } from './interactions.ts';

export const WEIGHTINGS = ['linear', 'log', 'bm25', 'tfidf'] as const;
export type Weighting = (typeof WEIGHTINGS)[number];

export interface WeightingOptions {
  /** log: the count that counts as "one unit" of preference (log(1 + w / epsilon)) */
  epsilon: number;
  /** bm25: term-frequency saturation (larger: counts saturate later) */
  bm25K1: number;
  /** bm25: how much a user's total activity normalises their values (0..1) */
  bm25B: number;
}

export const WEIGHTING_DEFAULTS: WeightingOptions = { epsilon: 1, bm25K1: 100, bm25B: 0.8 };

export function checkWeighting(kind: string, name: string, scheme: string, allowed: readonly string[], o: WeightingOptions): void {
  if (!allowed.includes(scheme)) {
    const names = allowed.map((s) => JSON.stringify(s)).join(', ');
    throw new InvalidParameterError(`${kind}: parameter "${name}" must be one of ${names}, got ${JSON.stringify(scheme)}`);
  }
  if (!(o.epsilon > 0)) throw new InvalidParameterError(`${kind}: parameter "epsilon" must be > 0, got ${o.epsilon}`);
  if (!(o.bm25K1 > 0)) throw new InvalidParameterError(`${kind}: parameter "bm25K1" must be > 0, got ${o.bm25K1}`);
  if (!(o.bm25B >= 0 && o.bm25B <= 1)) throw new InvalidParameterError(`${kind}: parameter "bm25B" must be in [0, 1], got ${o.bm25B}`);
}

/** 'auto' resolved on the data: log when some value is above 1 (counts), else linear. */
export function resolveWeighting(scheme: Weighting | 'auto', data: Interactions): Weighting {
  if (scheme !== 'auto') return scheme;
  const v = data.byUser.data;
  for (let k = 0; k < v.length; k++) if (v[k]! > 1) return 'log';
  return 'linear';
}

/** Per-user and per-item statistics the row-relative schemes need. */
interface Stats { idf: Float64Array; lenNorm: Float64Array }

function stats(data: Interactions, o: WeightingOptions, binary: boolean): Stats {
  const { byUser } = data;
  const nU = data.nUsers, nI = data.nItems;
  const df = new Float64Array(nI), rowSum = new Float64Array(nU);
  for (let u = 0; u < nU; u++) {
    for (let k = byUser.indptr[u]!; k < byUser.indptr[u + 1]!; k++) { df[byUser.indices[k]!]++; rowSum[u] += binary ? 1 : byUser.data[k]!; }
  }
  const idf = new Float64Array(nI);
  const logN = Math.log(Math.max(1, nU));
  // an item every user has would get a slightly negative idf: clamped, a confidence is never below 1
  for (let i = 0; i < nI; i++) idf[i] = Math.max(0, logN - Math.log1p(df[i]!));
  let mean = 0;
  for (let u = 0; u < nU; u++) mean += rowSum[u]!;
  mean = nU ? mean / nU : 1;
  const lenNorm = new Float64Array(nU);
  for (let u = 0; u < nU; u++) lenNorm[u] = 1 - o.bm25B + o.bm25B * (mean > 0 ? rowSum[u]! / mean : 1);
  return { idf, lenNorm };
}

/**
 * The weighted values of one orientation of the matrix, aligned with its `data` array:
 * side 'user' for byUser (rows users, indices items), 'item' for byItem. binary: every raw
 * value taken as 1 first.
 */
export function weightValues(
  data: Interactions, side: 'user' | 'item', scheme: Weighting, o: WeightingOptions = WEIGHTING_DEFAULTS, binary = false,
): Float32Array {
  const m: Csr = side === 'user' ? data.byUser : data.byItem;
  const out = new Float32Array(m.data.length);
  const st = scheme === 'bm25' || scheme === 'tfidf' ? stats(data, o, binary) : null;
  const K1 = o.bm25K1, eps = o.epsilon;
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
      const w = binary ? 1 : m.data[k]!;
      const u = side === 'user' ? r : m.indices[k]!, i = side === 'user' ? m.indices[k]! : r;
      let v: number;
      switch (scheme) {
        case 'linear': v = w; break;
        case 'log': v = Math.log1p(w / eps); break;
        case 'bm25': v = (w * (K1 + 1)) / (K1 * st!.lenNorm[u]! + w) * st!.idf[i]!; break;
        case 'tfidf': v = Math.sqrt(w) * st!.idf[i]!; break;
      }
      out[k] = v;
    }
  }
  return out;
}
