// Exact silhouette for many labelings of the same rows (the k scans score ~50 KMeans restarts of
// one feature matrix). Two savings, both exact:
// - the pairwise distances are computed once (ml/cluster DistanceMatrix: a full symmetric float32
//   matrix, filled by a WebAssembly SIMD kernel), and a labeling costs one pass of additions (per
//   row, per cluster, the sum of its distances to the cluster's members) instead of n^2/2
//   distance evaluations;
// - restarts of the same k mostly converge to nearly the same partition, and a partition into
//   k + 1 clusters mostly keeps k of the k's, so a labeling is scored from the previous one of
//   the same k (else of the largest smaller k): its clusters are matched to the previous ones
//   (greedy on the overlap table; silhouette does not depend on cluster numbering), and only
//   the rows that changed cluster move their distances between the per-row cluster sums:
//   O(n x changed rows) instead of O(n^2).
// The result equals ml/metrics silhouette() up to float32 rounding of the distances. The sums are
// float64 additions of float32 values, exact while the distances span less than ~2^16 (then
// moved and full sums are the same bits; beyond, they differ in the last places). Above
// `maxRows` (memory: 4 n^2 bytes, 144 MB at 6,000 rows) it falls back to that function's seeded
// sample. The matrix can be handed in (`distances`), so other work on the same rows (DBSCAN)
// shares it.
import type { Matrix } from '../core/matrix.ts';
import { DistanceMatrix } from './index.ts';
import { silhouette } from '../metrics/index.ts';

interface Base { labels: Int32Array; sums: Float64Array; counts: Float64Array }

export class SilhouetteScorer {
  readonly distances: DistanceMatrix | null;
  private readonly base = new Map<number, Base>();
  /** rows moved incrementally vs passes made in full (for tests and curiosity) */
  readonly stats = { full: 0, incremental: 0, moved: 0 };

  private readonly own: boolean;

  constructor(private readonly X: Matrix, private readonly opts: { maxRows?: number; sampleSize?: number; distances?: DistanceMatrix } = {}) {
    if (opts.distances) {
      if (opts.distances.source !== X) throw new Error('SilhouetteScorer: the distance matrix is of other rows');
      this.distances = opts.distances;
    } else {
      this.distances = X.rows > (opts.maxRows ?? 6000) ? null : DistanceMatrix.of(X);
    }
    this.own = !opts.distances;
  }

  /** Releases the distance matrix the scorer built (one handed in stays its owner's); no scoring after. */
  release(): void {
    if (this.own) this.distances?.release();
  }

  score(labels0: Int32Array): number {
    if (!this.distances) return silhouette(this.X, labels0, { sampleSize: this.opts.sampleSize ?? 4000 });
    const n = this.X.rows;
    if (labels0.length !== n) throw new Error(`silhouette: ${labels0.length} labels for ${n} rows`);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const l = labels0[i]!;
      if (!(l >= 0)) throw new Error(`silhouette: label ${l} at row ${i} must be >= 0`);
      if (l + 1 > k) k = l + 1;
    }
    // the nearest partition already scored: the last one of this k, else one of the largest
    // smaller k (a k-means partition with a cluster more mostly keeps the others: on Online
    // Retail 17-32% of the rows change cluster from k to k + 1)
    let pk = k, prev = this.base.get(k);
    while (!prev && --pk >= 1) prev = this.base.get(pk);
    let cur: Base;
    if (prev) {
      const labels = alignTo(prev.labels, labels0, pk, k);
      let changed = 0;
      for (let i = 0; i < n; i++) if (labels[i] !== prev.labels[i]) changed++;
      // moving a row costs a few thousandths of a full pass (~1/4,000 at 4,338 rows): with under a
      // third of the rows changed, moving them is the cheaper way, by a wide margin
      if (changed < n / 3) {
        cur = this.move(widen(prev, n, pk, k), labels, k, changed);
        this.stats.incremental++; this.stats.moved += changed;
      } else {
        cur = this.full(labels, k);
      }
    } else {
      cur = this.full(Int32Array.from(labels0), k);
    }
    this.base.set(k, cur);
    return fromSums(cur, n, k);
  }

  private full(labels: Int32Array, k: number): Base {
    this.stats.full++;
    const counts = new Float64Array(k);
    for (let i = 0; i < labels.length; i++) counts[labels[i]!]++;
    return { labels, sums: this.distances!.clusterSums(labels, k), counts };
  }

  /** The previous sums with every changed row's distances moved from its old to its new cluster. */
  private move(prev: Base, labels: Int32Array, k: number, changed: number): Base {
    const n = labels.length;
    const sums = prev.sums.slice(), counts = prev.counts.slice();
    const rows = new Int32Array(changed), from = new Int32Array(changed), to = new Int32Array(changed);
    for (let j = 0, t = 0; j < n; j++) {
      const f = prev.labels[j]!, g = labels[j]!;
      if (f === g) continue;
      counts[f]--; counts[g]++;
      rows[t] = j; from[t] = f; to[t] = g; t++;
    }
    this.distances!.moveRows(sums, k, rows, from, to);
    return { labels, sums, counts };
  }
}

/**
 * `labels` (k clusters) renumbered so its clusters take the numbers of `ref`'s (kRef <= k
 * clusters) they overlap most (greedy); clusters left over take kRef, kRef + 1, ...
 */
function alignTo(ref: Int32Array, labels: Int32Array, kRef: number, k: number): Int32Array {
  const overlap = new Float64Array(k * kRef);
  for (let i = 0; i < ref.length; i++) overlap[labels[i]! * kRef + ref[i]!]++;
  const map = new Int32Array(k).fill(-1), used = new Uint8Array(kRef);
  const pairs: { a: number; b: number; n: number }[] = [];
  for (let a = 0; a < k; a++) for (let b = 0; b < kRef; b++) pairs.push({ a, b, n: overlap[a * kRef + b]! });
  pairs.sort((x, y) => y.n - x.n);
  for (const { a, b } of pairs) if (map[a] === -1 && !used[b]) { map[a] = b; used[b] = 1; }
  for (let a = 0, next = kRef; a < k; a++) if (map[a] === -1) map[a] = next++;
  return labels.map((l) => map[l]!);
}

/** A scored partition's sums and counts with room for k >= kRef clusters (the new ones empty). */
function widen(b: Base, n: number, kRef: number, k: number): Base {
  if (k === kRef) return b;
  const sums = new Float64Array(n * k), counts = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < kRef; c++) sums[i * k + c] = b.sums[i * kRef + c]!;
  counts.set(b.counts);
  return { labels: b.labels, sums, counts };
}

function fromSums({ labels, sums, counts }: Base, n: number, k: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = labels[i]!;
    if (counts[own]! <= 1) continue; // silhouette of a singleton is 0
    const a = sums[i * k + own]! / (counts[own]! - 1);
    let b = Infinity;
    for (let l = 0; l < k; l++) if (l !== own && counts[l]! > 0) b = Math.min(b, sums[i * k + l]! / counts[l]!);
    const m = Math.max(a, b);
    total += m > 0 && Number.isFinite(b) ? (b - a) / m : 0;
  }
  return total / n;
}
