// DBSCAN (Ester et al. 1996) over a kd-tree: a core point has at least minSamples points (itself
// included) within eps; clusters are the connected components of core points plus the border
// points they reach; everything else is noise (label -1). Same definitions as scikit-learn.
// Given the rows' DistanceMatrix (pairwise.ts), region queries are scans of a matrix row instead
// (in a dozen dimensions a kd-tree visits most leaves anyway): same neighbourhoods, same labels.
import { InvalidParameterError } from '../core/errors.ts';
import { checkXy, requireFitted, resolveParams, type Estimator, type SerializedEstimator, BaseEstimator } from '../core/estimator.ts';
import { row, type Matrix } from '../core/matrix.ts';
import { expectKind } from '../data/json.ts';
import { KdTree } from './kdtree.ts';
import type { DistanceMatrix } from './pairwise.ts';

export interface DbscanParams { eps: number; minSamples: number }

export class DBSCAN extends BaseEstimator<DbscanParams> implements Estimator<DbscanParams> {
  readonly kind = 'DBSCAN';
  readonly params: DbscanParams;
  private state: { labels: Int32Array; core: Uint8Array; nClusters: number } | null = null;

  constructor(params: Partial<DbscanParams> = {}) {
    super();
    this.params = resolveParams(this.kind, { eps: 0.5, minSamples: 5 }, params);
    if (!(this.params.eps > 0)) throw new InvalidParameterError(`DBSCAN: eps must be > 0, got ${this.params.eps}`);
    if (!Number.isInteger(this.params.minSamples) || this.params.minSamples < 1) {
      throw new InvalidParameterError(`DBSCAN: minSamples must be an integer >= 1, got ${this.params.minSamples}`);
    }
  }

  /** `distances`: X's DistanceMatrix, when one has been computed for other work on the same rows */
  fit(X: Matrix, opts: { distances?: DistanceMatrix } = {}): this {
    checkXy(this.kind, X);
    const n = X.rows, { eps, minSamples } = this.params;
    const labels = new Int32Array(n).fill(-1);
    const core = new Uint8Array(n);
    let cluster = 0;
    const stack: number[] = [];
    if (opts.distances) {
      const dm = checkDistances(this.kind, X, opts.distances);
      const counts = dm.countWithin(eps), near = dm.withinTest(eps);
      for (let i = 0; i < n; i++) if (counts[i]! >= minSamples) core[i] = 1;
      // a cluster grows by testing its points against the rows not yet labelled (kept compact,
      // by swap-removal), so the work shrinks as clusters absorb rows
      const free = Int32Array.from({ length: n }, (_, i) => i), at = Int32Array.from(free);
      let nFree = n;
      const take = (q: number) => {
        const t = at[q]!, last = free[--nFree]!;
        free[t] = last; at[last] = t;
        labels[q] = cluster;
      };
      for (let i = 0; i < n; i++) {
        if (!core[i] || labels[i] !== -1) continue;
        take(i);
        stack.push(i);
        while (stack.length) {
          const p = stack.pop()!;
          for (let t = 0; t < nFree;) {
            const q = free[t]!;
            if (!near(p, q)) { t++; continue; }
            take(q); // the last free row moves into slot t: test it next
            if (core[q]) stack.push(q); // border points join but do not expand
          }
        }
        cluster++;
      }
      this.state = { labels, core, nClusters: cluster };
      return this;
    }
    const tree = new KdTree(X);
    const neigh: Int32Array[] = new Array(n);
    for (let i = 0; i < n; i++) {
      neigh[i] = Int32Array.from(tree.radius(row(X, i), eps));
      if (neigh[i]!.length >= minSamples) core[i] = 1;
    }
    for (let i = 0; i < n; i++) {
      if (!core[i] || labels[i] !== -1) continue;
      labels[i] = cluster;
      stack.push(i);
      while (stack.length) {
        const p = stack.pop()!;
        for (const q of neigh[p]!) {
          if (labels[q] !== -1) continue;
          labels[q] = cluster;
          if (core[q]) stack.push(q); // border points join but do not expand
        }
      }
      cluster++;
    }
    this.state = { labels, core, nClusters: cluster };
    return this;
  }

  fitPredict(X: Matrix): Int32Array { return this.fit(X).labels; }
  get labels(): Int32Array { return requireFitted(this.kind, this.state).labels.slice(); }
  get nClusters(): number { return requireFitted(this.kind, this.state).nClusters; }
  get coreSampleIndices(): number[] {
    const c = requireFitted(this.kind, this.state).core;
    const out: number[] = [];
    for (let i = 0; i < c.length; i++) if (c[i]) out.push(i);
    return out;
  }

  toJSON(): SerializedEstimator<DbscanParams> {
    const s = this.state;
    const state = s ? { labels: Array.from(s.labels), core: Array.from(s.core), nClusters: s.nClusters } : null;
    return { kind: this.kind, format: 1, params: { ...this.params }, state };
  }

  static fromJSON(json: SerializedEstimator): DBSCAN {
    const j = expectKind<DbscanParams, { labels: number[]; core: number[]; nClusters: number } | null>(json, 'DBSCAN');
    const m = new DBSCAN(j.params);
    if (j.state) m.state = { labels: Int32Array.from(j.state.labels), core: Uint8Array.from(j.state.core), nClusters: j.state.nClusters };
    return m;
  }
}

/**
 * The k-distance curve for choosing eps: each row's distance to its k-th nearest neighbour
 * (itself counted, as minSamples counts it), sorted ascending. The knee is the point farthest
 * below the chord from the first to the last point of the normalised curve (Kneedle); its
 * distance is the suggested eps.
 */
export function kDistance(X: Matrix, k: number, opts: { distances?: DistanceMatrix } = {}): { distances: Float64Array; knee: number; eps: number } {
  checkXy('kDistance', X);
  if (!Number.isInteger(k) || k < 1 || k > X.rows) throw new InvalidParameterError(`kDistance: k must be an integer in 1..${X.rows}, got ${k}`);
  const dist = new Float64Array(X.rows);
  if (opts.distances) {
    const sq = checkDistances('kDistance', X, opts.distances).kthNearestSq(k);
    for (let i = 0; i < X.rows; i++) dist[i] = Math.sqrt(sq[i]!);
  } else {
    const tree = new KdTree(X);
    for (let i = 0; i < X.rows; i++) dist[i] = Math.sqrt(tree.knn(row(X, i), k)[k - 1]!);
  }
  dist.sort();
  const knee = kneeIndex(dist);
  return { distances: dist, knee, eps: dist[knee]! };
}

function checkDistances(kind: string, X: Matrix, dm: DistanceMatrix): DistanceMatrix {
  if (dm.source !== X) throw new InvalidParameterError(`${kind}: the distance matrix is of other rows than X`);
  return dm;
}

/** Index of the maximum distance below the chord of an increasing curve (normalised to [0,1]^2). */
export function kneeIndex(y: Float64Array): number {
  const n = y.length;
  if (n < 3) return n - 1;
  const y0 = y[0]!, y1 = y[n - 1]!;
  if (y1 === y0) return n - 1;
  let best = n - 1, bestGap = 0;
  for (let i = 0; i < n; i++) {
    const xn = i / (n - 1), yn = (y[i]! - y0) / (y1 - y0);
    const gap = xn - yn; // a convex (elbow-up) curve lies below the chord
    if (gap > bestGap) { bestGap = gap; best = i; }
  }
  return best;
}
