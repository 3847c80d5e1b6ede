// Feature binning for histogram training: every feature is cut once into at most 256 bins
// (quantiles of the data, or one bin per distinct value when there are few), and the matrix is
// stored as one byte per cell. Bin b holds the values v with edges[b-1] < v <= edges[b], so a
// split "bin <= b" is exactly the raw-feature test "v <= edges[b]": thresholds stay real numbers
// and prediction works on unbinned rows.
import type { Matrix } from '../core/matrix.ts';
import { Rng } from '../core/rng.ts';

export interface BinEdges {
  /** per feature, ascending upper edges; feature f has edges[f].length + 1 bins */
  edges: Float64Array[];
  /** offset of feature f's first bin in a compact histogram; offsets[nFeatures] = total bins */
  offsets: Int32Array;
}

/** Binning sees at most this many rows per feature (sampled), as scikit-learn does. */
const SAMPLE_FOR_EDGES = 200_000;

export function fitBinEdges(X: Matrix, maxBins = 256, seed = 0): BinEdges {
  if (!(maxBins >= 2 && maxBins <= 256)) throw new RangeError(`maxBins must be in 2..256, got ${maxBins}`);
  const { rows: n, cols: d, data } = X;
  let sample: Uint32Array | null = null;
  if (n > SAMPLE_FOR_EDGES) {
    sample = new Rng(seed).shuffle(Uint32Array.from({ length: n }, (_, i) => i)).subarray(0, SAMPLE_FOR_EDGES);
  }
  const m = sample ? sample.length : n;
  const col = new Float64Array(m);
  const edges: Float64Array[] = [];
  const offsets = new Int32Array(d + 1);
  for (let f = 0; f < d; f++) {
    // columns of at most two values (one-hot, flags) need no sort: one edge between them
    let v0 = NaN, v1 = NaN, few = true;
    for (let k = 0; k < m; k++) {
      const v = data[(sample ? sample[k]! : k) * d + f]!;
      col[k] = v;
      if (v === v0 || v === v1) continue;
      if (v0 !== v0) v0 = v; else if (v1 !== v1) v1 = v; else { few = false; for (k++; k < m; k++) col[k] = data[(sample ? sample[k]! : k) * d + f]!; }
    }
    if (few) edges.push(v1 !== v1 ? new Float64Array(0) : Float64Array.of(v0 < v1 ? mid(v0, v1) : mid(v1, v0)));
    else { col.sort(); edges.push(edgesOfSorted(col, maxBins)); }
    offsets[f + 1] = offsets[f]! + edges[f]!.length + 1;
  }
  return { edges, offsets };
}

/**
 * Midpoints between distinct values; when there are more distinct values than bins, LightGBM's
 * greedy binning: a value holding at least an average bin's share of rows gets a bin of its own,
 * and the other values fill the remaining bins in runs of about (rows left / bins left), the
 * target recomputed after every cut. (Cutting at fixed quantiles instead let each heavy value
 * swallow several quantiles' bins: ggplot2's diamonds, 267 distinct carat values, got 109 bins.)
 */
function edgesOfSorted(s: Float64Array, maxBins: number): Float64Array {
  const n = s.length;
  const values: number[] = [], counts: number[] = [];
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && s[j] === s[i]) j++;
    values.push(s[i]!); counts.push(j - i);
    i = j;
  }
  const m = values.length;
  const out: number[] = [];
  if (m <= maxBins) {
    for (let k = 1; k < m; k++) out.push(mid(values[k - 1]!, values[k]!));
    return Float64Array.from(out);
  }
  let per = n / maxBins;
  const big = counts.map((c) => c >= per);
  let restBins = maxBins, restRows = n;
  for (let k = 0; k < m; k++) if (big[k]) { restBins--; restRows -= counts[k]!; }
  per = restBins > 0 ? restRows / restBins : Infinity;
  let cur = 0;
  for (let k = 0; k < m - 1 && out.length < maxBins - 1; k++) {
    if (!big[k]) restRows -= counts[k]!;
    cur += counts[k]!;
    if (big[k] || cur >= per || (big[k + 1] && cur >= Math.max(1, 0.5 * per))) {
      out.push(mid(values[k]!, values[k + 1]!));
      cur = 0;
      if (!big[k]) { restBins--; per = restBins > 0 ? restRows / restBins : Infinity; }
    }
  }
  return Float64Array.from(out);
}

function mid(a: number, b: number): number {
  const m = a + (b - a) / 2;
  // when a and b are adjacent doubles the midpoint rounds to b, which would put b in a's bin
  return m < b ? m : a;
}

/** The number of edges below v (the first edge >= v): a binary search with no data-dependent branch. */
export function binOf(edges: Float64Array, v: number): number {
  let n = edges.length;
  if (n === 0) return 0;
  let base = 0;
  while (n > 1) {
    const half = n >>> 1;
    base = edges[base + half]! < v ? base + half : base;
    n -= half;
  }
  return base + (edges[base]! < v ? 1 : 0);
}

/** Row-major bytes, same shape as X. `out` may be a view on a SharedArrayBuffer. */
export function binMatrix(X: Matrix, be: BinEdges, out?: Uint8Array): Uint8Array {
  const { rows: n, cols: d, data } = X;
  const bins = out ?? new Uint8Array(n * d);
  // row by row, so X is read in memory order (a column walk would touch a cache line per cell)
  const one = new Float64Array(d), many: number[] = [];
  for (let f = 0; f < d; f++) {
    const e = be.edges[f]!;
    // binary columns (one-hot) need one compare; an edgeless column is all bin 0 (NaN compares false)
    one[f] = e.length === 1 ? e[0]! : e.length === 0 ? Infinity : NaN;
    if (e.length > 1) many.push(f);
  }
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let f = 0; f < d; f++) { const t = one[f]!; if (t === t) bins[o + f] = data[o + f]! <= t ? 0 : 1; }
    for (let q = 0; q < many.length; q++) { const f = many[q]!; bins[o + f] = binOf(be.edges[f]!, data[o + f]!); }
  }
  return bins;
}
