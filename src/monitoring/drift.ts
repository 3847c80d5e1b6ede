// Data drift of one feature between a reference sample (the training snapshot) and a current
// one (recent inference requests or new lake data), by two statistics:
// - PSI, the population stability index: the reference's deciles (numpy's default linear
//   quantiles) cut both samples into bins; PSI = sum over bins (cur% - ref%) * ln(cur% / ref%),
//   each share floored at PSI_EPS so an empty bin stays finite. Rule of thumb: < 0.1 stable,
//   0.1-0.25 moderate, > 0.25 a real shift.
// - the two-sample Kolmogorov-Smirnov statistic D = max |F_ref(x) - F_cur(x)| over every value
//   of either sample (scipy.stats.ks_2samp's statistic, bit for bit: the same divisions), and its
//   asymptotic p-value (Kolmogorov's distribution with Stephens' small-sample correction).
// Both come from the two samples sorted once: the KS statistic is a merge of the sorted arrays
// and the PSI's counts are binary searches of the bin edges in them, so a feature costs two
// sorts (V8's native typed-array sort) and a linear pass. NaN values are left out of both sides.

/** The floor of a bin's share in PSI (an empty bin would make ln(0)). */
export const PSI_EPS = 1e-6;

export interface DriftStats {
  psi: number;
  ks: number;
  ks_pvalue: number;
  n_ref: number;
  n_cur: number;
}

/** A sorted copy without NaN. */
export function sortedFinite(x: ArrayLike<number>): Float64Array {
  let n = 0;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) { const v = x[i]!; if (v === v) out[n++] = v; }
  return out.subarray(0, n).sort();
}

/** numpy.quantile(sorted, q) with the default linear method (numpy's _lerp, to the last bit). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const virtual = q * (n - 1);
  const lo = Math.floor(virtual);
  const t = virtual - lo;
  const a = sorted[lo]!, b = sorted[Math.min(lo + 1, n - 1)]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** The reference's inner quantile edges for `bins` equal-frequency bins, repeated edges merged. */
export function psiEdges(refSorted: Float64Array, bins = 10): Float64Array {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(refSorted, k / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  return Float64Array.from(edges);
}

/** The number of values <= v in a sorted array (numpy.searchsorted(sorted, v, side='right')). */
export function countAtMost(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * Counts per bin of a sorted sample for inner edges e_1 < ... < e_k: bin 0 is x < e_1, bin j
 * is e_j <= x < e_{j+1}, the last x >= e_k (numpy.searchsorted(edges, x, side='right')).
 */
export function binCounts(sorted: Float64Array, edges: Float64Array): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let prev = 0;
  for (let j = 0; j < edges.length; j++) {
    const below = countBelow(sorted, edges[j]!);
    counts[j] = below - prev;
    prev = below;
  }
  counts[edges.length] = sorted.length - prev;
  return counts;
}

function countBelow(sorted: Float64Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** PSI of two count vectors over the same bins. */
export function psiFromCounts(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  let nr = 0, nc = 0;
  for (let i = 0; i < ref.length; i++) { nr += ref[i]!; nc += cur[i]!; }
  if (nr === 0 || nc === 0) return NaN;
  let psi = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.max(ref[i]! / nr, PSI_EPS), a = Math.max(cur[i]! / nc, PSI_EPS);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/** PSI of two sorted samples over the reference's equal-frequency bins. */
export function psiSorted(refSorted: Float64Array, curSorted: Float64Array, bins = 10): number {
  const edges = psiEdges(refSorted, bins);
  return psiFromCounts(binCounts(refSorted, edges), binCounts(curSorted, edges));
}

/** The two-sample KS statistic of two sorted samples (scipy.stats.ks_2samp's, to the last bit). */
export function ksSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length, n2 = b.length;
  if (n1 === 0 || n2 === 0) return NaN;
  let i = 0, j = 0, hi = 0, lo = 0;
  while (i < n1 || j < n2) {
    // step past every copy of the next value in either sample, then compare the two CDFs there
    const v = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    const d = i / n1 - j / n2;
    if (d > hi) hi = d; else if (d < lo) lo = d;
  }
  return Math.max(hi, -lo);
}

/**
 * The asymptotic two-sided p-value of a two-sample KS statistic: Kolmogorov's distribution at
 * (sqrt(en) + 0.12 + 0.11 / sqrt(en)) * D, en = n1 n2 / (n1 + n2) (Stephens 1970).
 */
export function ksPValue(d: number, n1: number, n2: number): number {
  if (!(d >= 0) || n1 === 0 || n2 === 0) return NaN;
  const en = Math.sqrt((n1 * n2) / (n1 + n2));
  const lambda = (en + 0.12 + 0.11 / en) * d;
  if (lambda < 0.2) return 1;
  let sum = 0, sign = 1;
  for (let k = 1; k <= 100; k++) {
    const term = sign * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-16) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** PSI and KS of one numeric feature; the reference may be passed already sorted. */
export function featureDrift(ref: ArrayLike<number>, cur: ArrayLike<number>, opts: { bins?: number; refSorted?: boolean } = {}): DriftStats {
  const r = opts.refSorted && ref instanceof Float64Array ? ref : sortedFinite(ref);
  const c = sortedFinite(cur);
  const ks = ksSorted(r, c);
  return { psi: psiSorted(r, c, opts.bins ?? 10), ks, ks_pvalue: ksPValue(ks, r.length, c.length), n_ref: r.length, n_cur: c.length };
}

/** PSI of a categorical feature over the union of categories; KS has no meaning there (NaN). */
export function categoricalDrift(ref: Iterable<string | null>, cur: Iterable<string | null>): DriftStats {
  const rc = new Map<string, number>(), cc = new Map<string, number>();
  let nr = 0, nc = 0;
  for (const v of ref) { const k = v ?? '(null)'; rc.set(k, (rc.get(k) ?? 0) + 1); nr++; }
  for (const v of cur) { const k = v ?? '(null)'; cc.set(k, (cc.get(k) ?? 0) + 1); nc++; }
  const keys = [...new Set([...rc.keys(), ...cc.keys()])].sort();
  return {
    psi: psiFromCounts(keys.map((k) => rc.get(k) ?? 0), keys.map((k) => cc.get(k) ?? 0)),
    ks: NaN, ks_pvalue: NaN, n_ref: nr, n_cur: nc,
  };
}
