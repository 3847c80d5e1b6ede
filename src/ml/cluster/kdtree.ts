// A static kd-tree over the rows of a Matrix for radius and k-nearest-neighbour queries
// (DBSCAN, the k-distance plot). Nodes are implicit over a permutation of row indices; each node
// splits its range at the median of its widest dimension.
import type { Matrix } from '../core/matrix.ts';

const LEAF = 16;

export class KdTree {
  private readonly idx: Int32Array;
  // per node: [start, end, splitDim (-1 = leaf), splitValue]; children of node i are 2i+1, 2i+2
  private readonly lo: number[] = [];
  private readonly hi: number[] = [];
  private readonly dim: number[] = [];
  private readonly val: number[] = [];
  private readonly d: number;
  private readonly X: Float64Array;

  constructor(m: Matrix) {
    this.d = m.cols;
    this.X = m.data;
    this.idx = new Int32Array(m.rows).map((_, i) => i);
    this.build(0, 0, m.rows);
  }

  private build(node: number, start: number, end: number): void {
    this.lo[node] = start; this.hi[node] = end;
    if (end - start <= LEAF) { this.dim[node] = -1; return; }
    const { X, d, idx } = this;
    let bestDim = 0, bestSpread = -1;
    for (let j = 0; j < d; j++) {
      let mn = Infinity, mx = -Infinity;
      for (let t = start; t < end; t++) { const v = X[idx[t]! * d + j]!; if (v < mn) mn = v; if (v > mx) mx = v; }
      if (mx - mn > bestSpread) { bestSpread = mx - mn; bestDim = j; }
    }
    if (bestSpread <= 0) { this.dim[node] = -1; return; } // all points identical
    const mid = (start + end) >> 1;
    quickselect(idx, start, end - 1, mid, (i) => X[i * d + bestDim]!);
    this.dim[node] = bestDim;
    this.val[node] = X[idx[mid]! * d + bestDim]!;
    this.build(2 * node + 1, start, mid);
    this.build(2 * node + 2, mid, end);
  }

  /** indices of rows within distance r of point q (inclusive), appended to out */
  radius(q: ArrayLike<number>, r: number, out: number[] = []): number[] {
    const r2 = r * r, { X, d, idx } = this;
    const stack = [0];
    while (stack.length) {
      const node = stack.pop()!;
      const dm = this.dim[node]!;
      if (dm === -1) {
        for (let t = this.lo[node]!; t < this.hi[node]!; t++) {
          const i = idx[t]!;
          let s = 0;
          for (let j = 0; j < d && s <= r2; j++) { const e = X[i * d + j]! - q[j]!; s += e * e; }
          if (s <= r2) out.push(i);
        }
        continue;
      }
      const diff = q[dm]! - this.val[node]!;
      // the median row sits in the right child, so ties at the split go both ways safely
      if (diff <= r) stack.push(2 * node + 1);
      if (diff >= -r) stack.push(2 * node + 2);
    }
    return out;
  }

  /** squared distances to the k nearest rows of q (ascending), q itself included if it is a row */
  knn(q: ArrayLike<number>, k: number): Float64Array {
    const { X, d, idx } = this;
    const heap = new Float64Array(k).fill(Infinity); // max-heap of the k best squared distances
    const visit = (node: number): void => {
      const dm = this.dim[node]!;
      if (dm === -1) {
        for (let t = this.lo[node]!; t < this.hi[node]!; t++) {
          const i = idx[t]!;
          let s = 0;
          for (let j = 0; j < d; j++) { const e = X[i * d + j]! - q[j]!; s += e * e; }
          if (s < heap[0]!) heapReplaceTop(heap, s);
        }
        return;
      }
      const diff = q[dm]! - this.val[node]!;
      const near = diff <= 0 ? 2 * node + 1 : 2 * node + 2, far = diff <= 0 ? 2 * node + 2 : 2 * node + 1;
      visit(near);
      if (diff * diff <= heap[0]!) visit(far);
    };
    visit(0);
    return heap.sort();
  }
}

/** Replaces the top of the max-heap h[0..n) by v and sifts it down. */
export function heapReplaceTop(h: Float64Array, v: number, n = h.length): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let m = i, mv = v;
    if (l < n && h[l]! > mv) { m = l; mv = h[l]!; }
    if (r < n && h[r]! > mv) m = r;
    if (m === i) break;
    h[i] = h[m]!; i = m;
  }
  h[i] = v;
}

function quickselect(a: Int32Array, lo: number, hi: number, k: number, key: (i: number) => number): void {
  while (hi > lo) {
    const pivot = key(a[(lo + hi) >> 1]!);
    let i = lo, j = hi;
    while (i <= j) {
      while (key(a[i]!) < pivot) i++;
      while (key(a[j]!) > pivot) j--;
      if (i <= j) { const t = a[i]!; a[i] = a[j]!; a[j] = t; i++; j--; }
    }
    if (k <= j) hi = j; else if (k >= i) lo = i; else return;
  }
}
