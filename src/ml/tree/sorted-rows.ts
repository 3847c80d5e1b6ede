// Row order for the tree grower (grower.ts): partitions a node's rows in place, and keeps, for
// small nodes, every numeric column's rows sorted by bin through their subtree (stable
// partitions), so split search on a small node scans sorted lists instead of a histogram.
import type { BinnedData } from './dataset.ts';

export class SortedRows {
  /** the numeric (not bundled) columns, which get sorted lists */
  readonly numCols: Int32Array;
  /** per numeric column, row ids sorted by bin within every small node's segment */
  colSorted = new Int32Array(0);
  /** rows the lists have room for (each column's list starts at q * cap) */
  cap = 0;
  private keys = new Int32Array(0);
  private tmp = new Int32Array(0);
  private readonly mark: Uint8Array;
  /** per numeric column, every row in (bin, row) order (see pickSorted), made on first use */
  private byBin: Int32Array | null = null;
  private readonly inSeg: Uint8Array;

  constructor(readonly data: BinnedData) {
    const nc: number[] = [];
    for (let c = 0; c < data.nCols; c++) if (data.colMemberStart[c]! < 0) nc.push(c);
    this.numCols = Int32Array.from(nc);
    this.mark = new Uint8Array(data.n);
    this.inSeg = new Uint8Array(data.n);
  }

  /** Room for trees over nRows rows. */
  reserve(nRows: number): void {
    if (this.cap >= nRows) return;
    this.cap = nRows;
    this.colSorted = new Int32Array(this.numCols.length * nRows);
    this.tmp = new Int32Array(nRows);
  }

  /**
   * Moves the rows going left (featureBin <= b) to the front of the segment, keeping row order
   * on both sides so histogram building reads memory in ascending order; returns the boundary.
   * Marks each row's side for partitionSorted().
   */
  partition(rows: Int32Array, a: number, b: number, f: number, bin: number, marks: boolean): number {
    const { bins, nCols, featCol, featCode } = this.data;
    const col = featCol[f]!, code = featCode[f]!;
    const mark = this.mark, tmp = this.tmp;
    let w = a, t = 0;
    if (!marks) {
      // branch-free: the side of a row is a coin flip to the branch predictor
      for (let k = a; k < b; k++) {
        const r = rows[k]!, v = bins[r * nCols + col]!;
        const l = code === 0 ? (v <= bin ? 1 : 0) : (v !== code ? 1 : 0);
        rows[w] = r; tmp[t] = r; w += l; t += 1 - l;
      }
    } else if (code === 0) {
      for (let k = a; k < b; k++) {
        const r = rows[k]!;
        if (bins[r * nCols + col]! <= bin) { mark[r] = 1; rows[w++] = r; } else { mark[r] = 0; tmp[t++] = r; }
      }
    } else {
      for (let k = a; k < b; k++) {
        const r = rows[k]!;
        if (bins[r * nCols + col] !== code) { mark[r] = 1; rows[w++] = r; } else { mark[r] = 0; tmp[t++] = r; }
      }
    }
    for (let k = 0; k < t; k++) rows[w + k] = tmp[k]!;
    return w;
  }
  /** sortSegment from the rows' order by (bin, row); false (nothing done) when the segment is not ascending. */
  private pickSorted(rows: Int32Array, a: number, b: number): boolean {
    for (let k = a + 1; k < b; k++) if (rows[k]! <= rows[k - 1]!) return false;
    const { bins, nCols, n: N } = this.data, nq = this.numCols.length;
    if (!this.byBin) {
      // counting sort of all rows by bin, per numeric column: stable, so ties stay in row order
      const order = new Int32Array(nq * N), count = new Int32Array(257);
      for (let q = 0; q < nq; q++) {
        const c = this.numCols[q]!;
        count.fill(0);
        for (let i = 0; i < N; i++) count[bins[i * nCols + c]! + 1]++;
        for (let v = 0; v < 256; v++) count[v + 1] += count[v]!;
        for (let i = 0; i < N; i++) order[q * N + count[bins[i * nCols + c]!]!++] = i;
      }
      this.byBin = order;
    }
    const order = this.byBin, inSeg = this.inSeg, cs = this.colSorted, cap = this.cap;
    for (let k = a; k < b; k++) inSeg[rows[k]!] = 1;
    for (let q = 0; q < nq; q++) {
      let w = q * cap + a;
      for (let k = q * N, e = k + N; k < e; k++) { const r = order[k]!; if (inSeg[r]) cs[w++] = r; }
    }
    for (let k = a; k < b; k++) inSeg[rows[k]!] = 0;
    return true;
  }
  /** Stable split of every column's sorted list by the marks partition() just set. */
  partitionSorted(a: number, b: number): void {
    const cs = this.colSorted, tmp = this.tmp, mark = this.mark, cap = this.cap;
    for (let q = 0; q < this.numCols.length; q++) {
      const base = q * cap;
      let w = base + a, t = 0;
      for (let j = base + a; j < base + b; j++) {
        const r = cs[j]!;
        if (mark[r]) cs[w++] = r; else tmp[t++] = r;
      }
      for (let k = 0; k < t; k++) cs[w + k] = tmp[k]!;
    }
  }
  /**
   * Sorts the node's rows by bin for every numeric column (once per small subtree), ties in
   * segment order. A segment holding a good part of the data in ascending row order (a tree's
   * root, and every segment below it, since partitions are stable) is instead picked out of
   * every row's order by (bin, row), counted out once per grower: the same lists, without
   * sorting every tree's root again (a forest of small trees sorted more than it split).
   */
  sortSegment(rows: Int32Array, a: number, b: number): void {
    const { bins, nCols } = this.data;
    const n = b - a;
    if (8 * n >= this.data.n && this.pickSorted(rows, a, b)) return;
    if (this.keys.length < n) this.keys = new Int32Array(Math.max(n, 64));
    const keys = this.keys.subarray(0, n), cs = this.colSorted, cap = this.cap;
    for (let q = 0; q < this.numCols.length; q++) {
      const c = this.numCols[q]!, base = q * cap + a;
      for (let k = 0; k < n; k++) keys[k] = (bins[rows[a + k]! * nCols + c]! << 16) | k;
      keys.sort();
      for (let k = 0; k < n; k++) cs[base + k] = rows[a + (keys[k]! & 0xffff)]!;
    }
  }
}
