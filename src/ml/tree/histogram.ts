// Node statistics for the tree grower (grower.ts): a segment's totals, one row's statistics, a
// node's histogram (per column and bin: sum g, sum h, count; or per class weights, weight, count),
// and the pool of histogram buffers a grower reuses from node to node.
import type { BinnedData } from './dataset.ts';
import type { RowBackend, Targets } from './grower.ts';

/** Histogram buffers, recycled: building a child's histogram reuses a finished node's. */
export class HistogramPool {
  private readonly free: Float64Array[] = [];
  /** the row backend the pooled histograms came from (they may live in its shared arena) */
  private owner: RowBackend | null = null;
  /** slots per bin: the targets' statistics count, or the row backend's stride */
  stride: number;

  constructor(private readonly slots: number, S: number) { this.stride = S; }

  /** Set up for a grow() with row backend `be` (null: the grower's own rows). */
  use(be: RowBackend | null, S: number): void {
    if (be !== this.owner) { this.free.length = 0; this.owner = be; }
    this.stride = be ? be.histStride : S;
  }

  /** zero: the caller accumulates into it (a row backend overwrites what it builds) */
  take(zero = true): Float64Array {
    const h = this.free.pop();
    if (h) { if (zero) h.fill(0); return h; }
    return this.owner ? this.owner.newHist() : new Float64Array(this.slots * this.stride);
  }

  give(h: Float64Array): void { this.free.push(h); }
}

export function totals(rows: Int32Array, a: number, b: number, t: Targets, K: number, out: Float64Array): void {
  out.fill(0);
  if (t.kind === 'scalar') {
    const { g, h } = t;
    let G = 0, H = 0;
    for (let k = a; k < b; k++) { const i = rows[k]!; G += g[i]!; H += h ? h[i]! : 1; }
    out[0] = G; out[1] = H; out[2] = b - a;
  } else {
    const { label, w } = t;
    for (let k = a; k < b; k++) { const i = rows[k]!; const wi = w ? w[i]! : 1; out[label[i]!] += wi; out[K] += wi; }
    out[K + 1] = b - a;
  }
}

export function buildHistogram(
  data: BinnedData, hist: Float64Array, rows: Int32Array, a: number, b: number, t: Targets, S: number, K: number, hists: HistogramPool,
): void {
  const { bins, nCols, colOffset } = data;
  if (t.kind === 'scalar' && b - a >= 2048) {
    // two rows at a time into two histograms: consecutive rows often hit the same slot, and
    // one accumulator would make every add wait for the previous store to that slot
    const g = t.g, h = t.h;
    const h2 = hists.take();
    let k = a;
    for (; k + 1 < b; k += 2) {
      const i = rows[k]!, j = rows[k + 1]!, gi = g[i]!, gj = g[j]!, bi = i * nCols, bj = j * nCols;
      const hi = h ? h[i]! : 0, hj = h ? h[j]! : 0;
      for (let c = 0; c < nCols; c++) {
        const o = colOffset[c]!;
        const s = (o + bins[bi + c]!) * 3, u = (o + bins[bj + c]!) * 3;
        hist[s] += gi; hist[s + 1] += hi; hist[s + 2] += 1;
        h2[u] += gj; h2[u + 1] += hj; h2[u + 2] += 1;
      }
    }
    for (; k < b; k++) {
      const i = rows[k]!, gi = g[i]!, hi = h ? h[i]! : 0, bi = i * nCols;
      for (let c = 0; c < nCols; c++) {
        const s = (colOffset[c]! + bins[bi + c]!) * 3;
        hist[s] += gi; hist[s + 1] += hi; hist[s + 2] += 1;
      }
    }
    for (let s = 0; s < hist.length; s++) hist[s] += h2[s]!;
    hists.give(h2);
  } else if (t.kind === 'scalar' && !t.h) {
    const g = t.g;
    for (let k = a; k < b; k++) {
      const i = rows[k]!, gi = g[i]!, base = i * nCols;
      for (let c = 0; c < nCols; c++) {
        const s = (colOffset[c]! + bins[base + c]!) * 3;
        hist[s] += gi; hist[s + 2] += 1;
      }
    }
  } else if (t.kind === 'scalar') {
    const { g, h } = t;
    for (let k = a; k < b; k++) {
      const i = rows[k]!, gi = g[i]!, hi = h![i]!, base = i * nCols;
      for (let c = 0; c < nCols; c++) {
        const s = (colOffset[c]! + bins[base + c]!) * 3;
        hist[s] += gi; hist[s + 1] += hi; hist[s + 2] += 1;
      }
    }
  } else {
    const { label, w } = t;
    for (let k = a; k < b; k++) {
      const i = rows[k]!, li = label[i]!, wi = w ? w[i]! : 1, base = i * nCols;
      for (let c = 0; c < nCols; c++) {
        const s = (colOffset[c]! + bins[base + c]!) * S;
        hist[s + li] += wi; hist[s + K] += wi; hist[s + K + 1] += 1;
      }
    }
  }
}

/** Adds one row's statistics at arr[o..o+S). */
export function addRow(arr: Float64Array, o: number, i: number, t: Targets, K: number): void {
  if (t.kind === 'scalar') { arr[o] += t.g[i]!; arr[o + 1] += t.h ? t.h[i]! : 1; arr[o + 2] += 1; return; }
  const wi = t.w ? t.w[i]! : 1;
  arr[o + t.label[i]!] += wi; arr[o + K] += wi; arr[o + K + 1] += 1;
}
