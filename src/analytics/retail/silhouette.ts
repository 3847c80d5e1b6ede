// Exact silhouette for many labelings of the same rows (the k scan scores ~40 KMeans restarts
// of one feature matrix). Two savings, both exact:
// - the pairwise distances are computed once into a full symmetric float32 matrix (both halves:
//   every row's distances are contiguous, so a pass reads them streaming, never down a column),
//   and a labeling costs one pass of additions instead of n^2/2 distance evaluations;
// - restarts of the same k mostly converge to nearly the same partition, so a labeling is
//   scored from the previous one of the same k: its clusters are matched to the previous ones
//   (greedy on the overlap table; silhouette does not depend on cluster numbering), and only
//   the rows that changed cluster move their distances between the per-row cluster sums:
//   O(n x changed rows) instead of O(n^2).
// Every per-row cluster sum adds the same distances in the same order as a pass over the upper
// triangle would (ascending row number; a row's own cluster as the rows before it, then the rows
// after it), so the scores do not depend on the layout. The result equals ml/metrics silhouette()
// up to float32 rounding of the distances. Above `maxRows` (memory: 4 n^2 bytes, 144 MB at
// 6,000 rows) it falls back to that function's seeded sample.
import type { Matrix } from '../../ml/core/matrix.ts';
import { silhouette } from '../../ml/metrics/index.ts';

interface Base { labels: Int32Array; sums: Float64Array; counts: Float64Array }

export class SilhouetteScorer {
  private readonly D: Float32Array | null;
  private readonly base = new Map<number, Base>();
  /** rows moved incrementally vs passes made in full (for tests and curiosity) */
  readonly stats = { full: 0, incremental: 0, moved: 0 };

  constructor(private readonly X: Matrix, private readonly opts: { maxRows?: number; sampleSize?: number } = {}) {
    const n = X.rows, d = X.cols, x = X.data;
    if (n > (opts.maxRows ?? 6000)) { this.D = null; return; }
    const D = new Float32Array(n * n);
    // tiles of TILE x TILE pairs: the mirrored writes (down a column of D) stay in cache
    for (let ib = 0; ib < n; ib += TILE) {
      const ie = Math.min(n, ib + TILE);
      for (let jb = ib; jb < n; jb += TILE) {
        const je = Math.min(n, jb + TILE);
        for (let i = ib; i < ie; i++) {
          const oi = i * d;
          let j = Math.max(jb, i + 1);
          // two pairs at a time: independent sums, row i's values loaded once for both
          for (; j + 1 < je; j += 2) {
            const oj = j * d, ok = oj + d;
            let s = 0, s2 = 0;
            for (let t = 0; t < d; t++) {
              const xi = x[oi + t]!, e = xi - x[oj + t]!, e2 = xi - x[ok + t]!;
              s += e * e; s2 += e2 * e2;
            }
            const v = Math.sqrt(s), v2 = Math.sqrt(s2);
            D[i * n + j] = v; D[j * n + i] = v;
            D[i * n + j + 1] = v2; D[(j + 1) * n + i] = v2;
          }
          for (; j < je; j++) {
            const oj = j * d;
            let s = 0;
            for (let t = 0; t < d; t++) { const e = x[oi + t]! - x[oj + t]!; s += e * e; }
            const v = Math.sqrt(s);
            D[i * n + j] = v; D[j * n + i] = v;
          }
        }
      }
    }
    this.D = D;
  }

  score(labels0: Int32Array): number {
    if (!this.D) return silhouette(this.X, labels0, { sampleSize: this.opts.sampleSize ?? 4000 });
    const n = this.X.rows;
    if (labels0.length !== n) throw new Error(`silhouette: ${labels0.length} labels for ${n} rows`);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const l = labels0[i]!;
      if (!(l >= 0)) throw new Error(`silhouette: label ${l} at row ${i} must be >= 0`);
      if (l + 1 > k) k = l + 1;
    }
    const prev = this.base.get(k);
    let cur: Base;
    if (prev) {
      const labels = alignTo(prev.labels, labels0, k);
      let changed = 0;
      for (let i = 0; i < n; i++) if (labels[i] !== prev.labels[i]) changed++;
      if (changed < n / 8) {
        cur = this.move(prev, labels, k);
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
    const n = this.X.rows, D = this.D!;
    this.stats.full++;
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) counts[labels[i]!]++;
    // the rows of each cluster, ascending (a counting sort)
    const start = new Int32Array(k + 1);
    for (let c = 0; c < k; c++) start[c + 1] = start[c]! + counts[c]!;
    const members = new Int32Array(n), fill = start.slice(0, k);
    for (let i = 0; i < n; i++) members[fill[labels[i]!]!++] = i;
    const sums = new Float64Array(n * k);
    // two rows at a time: each member index is loaded once for both rows' sums (their own
    // clusters, split at the row itself, are summed row by row)
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const ra = i * n, rb = ra + n, la = labels[i]!, lb = labels[i + 1]!;
      for (let c = 0; c < k; c++) {
        if (c === la || c === lb) continue;
        let sa = 0, sb = 0;
        for (let t = start[c]!, b = start[c + 1]!; t < b; t++) { const m = members[t]!; sa += D[ra + m]!; sb += D[rb + m]!; }
        sums[i * k + c] = sa; sums[(i + 1) * k + c] = sb;
      }
      this.rowSums(i, la, la === lb ? -1 : lb, start, members, sums, k);
      this.rowSums(i + 1, lb, la === lb ? -1 : la, start, members, sums, k);
    }
    if (i < n) this.rowSums(i, labels[i]!, -1, start, members, sums, k, true);
    return { labels, sums, counts };
  }

  /**
   * Row i's sum to its own cluster (the rows before it, then the rows after it, as the upper
   * triangle would add them), to `other` when it is >= 0, and with `all` to every cluster.
   */
  private rowSums(i: number, own: number, other: number, start: Int32Array, members: Int32Array, sums: Float64Array, k: number, all = false): void {
    const D = this.D!, row = i * this.X.rows;
    for (let c = 0; c < k; c++) {
      if (!all && c !== own && c !== other) continue;
      const b = start[c + 1]!;
      let t = start[c]!, s = 0;
      if (c === own) {
        for (; members[t]! < i; t++) s += D[row + members[t]!]!;
        t++; // row i itself
        let after = 0;
        for (; t < b; t++) after += D[row + members[t]!]!;
        s += after;
      } else {
        for (; t < b; t++) s += D[row + members[t]!]!;
      }
      sums[i * k + c] = s;
    }
  }

  /** The previous sums with every changed row's distances moved from its old to its new cluster. */
  private move(prev: Base, labels: Int32Array, k: number): Base {
    const n = this.X.rows, D = this.D!;
    const sums = Float64Array.from(prev.sums), counts = Float64Array.from(prev.counts);
    for (let j = 0; j < n; j++) {
      const from = prev.labels[j]!, to = labels[j]!;
      if (from === to) continue;
      counts[from]--; counts[to]++;
      const row = j * n;
      for (let i = 0; i < n; i++) {
        if (i === j) continue;
        const dist = D[row + i]!;
        sums[i * k + from] -= dist; sums[i * k + to] += dist;
      }
    }
    return { labels, sums, counts };
  }
}

/** side of the square blocks the distance matrix is filled by */
const TILE = 64;

/** `labels` renumbered so its clusters match `ref`'s where they overlap most (greedy). */
function alignTo(ref: Int32Array, labels: Int32Array, k: number): Int32Array {
  const overlap = new Float64Array(k * k);
  for (let i = 0; i < ref.length; i++) overlap[labels[i]! * k + ref[i]!]++;
  const map = new Int32Array(k).fill(-1), used = new Uint8Array(k);
  const pairs: { a: number; b: number; n: number }[] = [];
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) pairs.push({ a, b, n: overlap[a * k + b]! });
  pairs.sort((x, y) => y.n - x.n);
  for (const { a, b } of pairs) if (map[a] === -1 && !used[b]) { map[a] = b; used[b] = 1; }
  return labels.map((l) => map[l]!);
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
