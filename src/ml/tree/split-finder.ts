// Split search for the tree grower (grower.ts): the best (feature, bin) of a node, from its
// histogram (large nodes) or from the per-column sorted row lists (small nodes, sorted-rows.ts).
// A split's gain is sum_k G_L,k^2/(H_L+l) + G_R,k^2/(H_R+l) - G_k^2/(H+l) (see grower.ts).
import type { BinnedData } from './dataset.ts';
import type { GrowNode } from './grow-node.ts';
import type { GrowParams, Targets } from './grower.ts';
import { addRow, type HistogramPool } from './histogram.ts';
import type { SortedRows } from './sorted-rows.ts';

export class SplitFinder {
  /** the features a node may split on (1 = candidate), set by the grower per node */
  readonly mask: Uint8Array;
  /** scalar targets without h: histograms skip the hessian slot and read the row count instead */
  unitH = false;
  private readonly cum: Float64Array;
  private readonly bStats: Float64Array;
  private readonly bTouched: Int32Array;

  /** S statistics per bin, K of them sums to square (1 for scalar targets, else the classes) */
  constructor(readonly data: BinnedData, private readonly S: number, private readonly K: number,
    private readonly hists: HistogramPool, private readonly lists: SortedRows) {
    let mm = 0;
    for (let c = 0; c < data.nCols; c++) if (data.colMemberStart[c]! >= 0) mm = Math.max(mm, data.colMemberCount[c]!);
    this.cum = new Float64Array(S);
    this.bStats = new Float64Array((mm + 1) * S);
    this.bTouched = new Int32Array(mm + 1);
    this.mask = new Uint8Array(data.nFeatures);
  }

  /** Score of a child from its stats at o in arr: sum_k G_k^2 / (H + lambda). */
  private score(arr: Float64Array, o: number, lambda: number): number {
    const K = this.K;
    let s = 0;
    for (let k = 0; k < K; k++) s += arr[o + k]! * arr[o + k]!;
    const w = arr[o + K]! + lambda;
    return w > 0 ? s / w : 0;
  }

  /** Evaluates left stats `lt` against n.tot; records it when it beats n's best. */
  private consider(n: GrowNode, lt: Float64Array, f: number, b: number, p: GrowParams, parentScore: number): void {
    const S = this.S, K = this.K, tot = n.tot;
    const cl = lt[S - 1]!, cr = tot[S - 1]! - cl;
    if (cl < p.minSamplesLeaf || cr < p.minSamplesLeaf) return;
    const wl = lt[K]!, wr = tot[K]! - wl;
    if (wl < p.minChildWeight || wr < p.minChildWeight) return;
    let sl = 0, sr = 0;
    for (let k = 0; k < K; k++) { const a = lt[k]!, r = tot[k]! - a; sl += a * a; sr += r * r; }
    const gain = (wl + p.lambda > 0 ? sl / (wl + p.lambda) : 0) + (wr + p.lambda > 0 ? sr / (wr + p.lambda) : 0) - parentScore;
    if (gain > n.gain && gain > p.minGain && gain > 1e-11 * Math.abs(parentScore)) {
      n.gain = gain; n.feat = f; n.bin = b; n.leftTot.set(lt);
    }
  }

  splitFromHist(n: GrowNode, t: Targets, p: GrowParams): void {
    const { colOffset, colMemberStart, colMemberCount, members, nCols } = this.data;
    const hist = n.hist!, S = this.S, W = this.hists.stride, mask = this.mask, tot = n.tot, lam = p.lambda;
    const parentScore = this.score(tot, 0, lam);
    const cum = this.cum;
    for (let c = 0; c < nCols; c++) {
      const off = colOffset[c]!;
      const ms = colMemberStart[c]!;
      if (ms >= 0) {
        // bundle: member k's "1" rows are slot k; its "0" rows are everything else
        const mc = colMemberCount[c]!;
        for (let k = 1; k <= mc; k++) {
          const f = members[ms + k - 1]!;
          if (!mask[f]) continue;
          const s = (off + k) * W;
          const cr = hist[s + W - 1]!;
          if (cr === 0 || cr === tot[S - 1]) continue;
          if (W === 2) { cum[0] = tot[0]! - hist[s]!; cum[2] = tot[2]! - cr; cum[1] = cum[2]!; } else {
            for (let q = 0; q < S; q++) cum[q] = tot[q]! - hist[s + q]!;
            if (this.unitH) cum[1] = cum[2]!;
          }
          this.consider(n, cum, f, 0, p, parentScore);
        }
        continue;
      }
      const f = this.featureOfPlainCol(c);
      if (!mask[f]) continue;
      const nb = colOffset[c + 1]! - off;
      if (W === 2) {
        // unit hessians: the hessian sums are the counts (tot[1] === tot[2]), so the scan keeps
        // one running sum for both, with the same values and arithmetic as the general scan
        const r = scanUnitHessian(hist, off, nb, tot[0]!, tot[2]!, lam, p.minSamplesLeaf, p.minChildWeight, parentScore,
          Math.max(p.minGain, 1e-11 * Math.abs(parentScore)), n.gain, this.scanOut);
        if (r >= 0) {
          const out = this.scanOut;
          n.gain = out[0]!; n.feat = f; n.bin = r; n.leftTot[0] = out[1]!; n.leftTot[1] = out[2]!; n.leftTot[2] = out[2]!;
        }
      } else if (t.kind === 'scalar') {
        // inlined scalar scan: this loop is the hot spot of histogram training
        const G = tot[0]!, H = tot[1]!, C = tot[2]!, minLeaf = p.minSamplesLeaf, mcw = p.minChildWeight, unitH = this.unitH;
        let gl = 0, hl = 0, cl = 0, prev = -1;
        let bestGain = n.gain, bestBin = -1, bg = 0, bh = 0, bc = 0;
        const floor = Math.max(p.minGain, 1e-11 * Math.abs(parentScore));
        for (let b = 0; b < nb; b++) {
          const s = (off + b) * W;
          const cb = hist[s + W - 1]!;
          if (cb === 0) continue;
          if (prev >= 0) {
            const cr = C - cl;
            if (cr < minLeaf) break;
            const hr = H - hl;
            if (cl >= minLeaf && hl >= mcw && hr >= mcw) {
              const gr = G - gl;
              const gain = (gl * gl) / (hl + lam) + (gr * gr) / (hr + lam) - parentScore;
              if (gain > bestGain && gain > floor) { bestGain = gain; bestBin = (prev + b - 1) >> 1; bg = gl; bh = hl; bc = cl; }
            }
          }
          gl += hist[s]!; hl += unitH ? cb : hist[s + 1]!; cl += cb; prev = b;
        }
        if (bestBin >= 0) { n.gain = bestGain; n.feat = f; n.bin = bestBin; n.leftTot[0] = bg; n.leftTot[1] = bh; n.leftTot[2] = bc; }
      } else {
        cum.fill(0);
        let prev = -1;
        for (let b = 0; b < nb; b++) {
          const s = (off + b) * S;
          if (hist[s + S - 1] === 0) continue;
          if (prev >= 0) this.consider(n, cum, f, (prev + b - 1) >> 1, p, parentScore);
          for (let q = 0; q < S; q++) cum[q] += hist[s + q]!;
          prev = b;
        }
      }
    }
  }

  /** scanUnitHessian's result: gain, left G, left count */
  private readonly scanOut = new Float64Array(3);
  private plainFeature: Int32Array | null = null;
  featureOfPlainCol(c: number): number {
    if (!this.plainFeature) {
      const { featCol, featCode, nCols, nFeatures } = this.data;
      this.plainFeature = new Int32Array(nCols).fill(-1);
      for (let f = 0; f < nFeatures; f++) if (featCode[f] === 0) this.plainFeature[featCol[f]!] = f;
    }
    return this.plainFeature[c]!;
  }

  /** Split search on a small node from its per-column sorted row lists. */
  splitDirect(n: GrowNode, rows: Int32Array, t: Targets, p: GrowParams): void {
    if (!n.sorted) { this.lists.sortSegment(rows, n.start, n.end); n.sorted = true; }
    const { bins, nCols, colMemberStart, members } = this.data;
    const { S, mask, cum } = this;
    const { colSorted: cs, cap, numCols } = this.lists;
    const cnt = n.end - n.start;
    const lam = p.lambda;
    const parentScore = this.score(n.tot, 0, lam);
    const scalar = t.kind === 'scalar';
    const g = scalar ? t.g : null, h = scalar ? t.h : null;
    for (let c = 0; c < nCols; c++) {
      const ms = colMemberStart[c]!;
      if (ms < 0) continue;
      const bs = this.bStats, touched = this.bTouched;
      let nt = 0;
      if (g) {
        for (let k = n.start; k < n.end; k++) {
          const i = rows[k]!, v = bins[i * nCols + c]!;
          if (v === 0) continue;
          const o = v * 3;
          if (bs[o + 2] === 0) touched[nt++] = v;
          bs[o] += g[i]!; bs[o + 1] += h ? h[i]! : 1; bs[o + 2] += 1;
        }
      } else {
        for (let k = n.start; k < n.end; k++) {
          const i = rows[k]!, v = bins[i * nCols + c]!;
          if (v === 0) continue;
          const o = v * S;
          if (bs[o + S - 1] === 0) touched[nt++] = v;
          addRow(bs, o, i, t, this.K);
        }
      }
      for (let q = 0; q < nt; q++) {
        const v = touched[q]!, o = v * S;
        const f = members[ms + v - 1]!;
        if (bs[o + S - 1] !== cnt && mask[f]) {
          for (let s = 0; s < S; s++) cum[s] = n.tot[s]! - bs[o + s]!;
          this.consider(n, cum, f, 0, p, parentScore);
        }
        for (let s = 0; s < S; s++) bs[o + s] = 0;
      }
    }
    const G = n.tot[0]!, H = n.tot[1]!, C = n.tot[2]!, minLeaf = p.minSamplesLeaf, mcw = p.minChildWeight;
    const floor = Math.max(p.minGain, 1e-11 * Math.abs(parentScore));
    for (let q = 0; q < numCols.length; q++) {
      const c = numCols[q]!;
      const f = this.featureOfPlainCol(c);
      if (!mask[f]) continue;
      const base = q * cap;
      const a = base + n.start, e = base + n.end;
      let cur = bins[cs[a]! * nCols + c]!;
      if (cur === bins[cs[e - 1]! * nCols + c]) continue;
      if (g) {
        // inlined scalar scan (regression trees spend most of their time here)
        let gl = 0, hl = 0, cl = 0, bestGain = n.gain, bestBin = -1, bg = 0, bh = 0, bc = 0;
        for (let j = a; j < e - 1; j++) {
          const i = cs[j]!;
          gl += g[i]!; hl += h ? h[i]! : 1; cl++;
          const nb = bins[cs[j + 1]! * nCols + c]!;
          if (nb === cur) continue;
          const cr = C - cl;
          if (cr < minLeaf) break;
          const hr = H - hl;
          if (cl >= minLeaf && hl >= mcw && hr >= mcw) {
            const gr = G - gl;
            const gain = (gl * gl) / (hl + lam) + (gr * gr) / (hr + lam) - parentScore;
            if (gain > bestGain && gain > floor) { bestGain = gain; bestBin = (cur + nb - 1) >> 1; bg = gl; bh = hl; bc = cl; }
          }
          cur = nb;
        }
        if (bestBin >= 0) { n.gain = bestGain; n.feat = f; n.bin = bestBin; n.leftTot[0] = bg; n.leftTot[1] = bh; n.leftTot[2] = bc; }
      } else {
        cum.fill(0);
        for (let j = a; j < e - 1; j++) {
          addRow(cum, 0, cs[j]!, t, this.K);
          const nb = bins[cs[j + 1]! * nCols + c]!;
          if (nb !== cur) { this.consider(n, cum, f, (cur + nb - 1) >> 1, p, parentScore); cur = nb; }
        }
      }
    }
  }
}

/**
 * Best split of one numeric column from a (g, count) histogram at slot `off` with nb bins;
 * returns its bin (or -1 when none beats bestGain) and writes gain, left G, left count to out.
 */
function scanUnitHessian(hist: Float64Array, off: number, nb: number, G: number, C: number, lam: number, minLeaf: number, mcw: number,
  parentScore: number, floor: number, bestGain: number, out: Float64Array): number {
  let gl = 0, cl = 0, prev = -1, bestBin = -1, bg = 0, bc = 0;
  for (let b = 0, s = 2 * off; b < nb; b++, s += 2) {
    const cb = hist[s + 1]!;
    if (cb === 0) continue;
    if (prev >= 0) {
      const cr = C - cl;
      if (cr < minLeaf) break;
      if (cl >= minLeaf && cl >= mcw && cr >= mcw) {
        const gr = G - gl;
        const gain = (gl * gl) / (cl + lam) + (gr * gr) / (cr + lam) - parentScore;
        if (gain > bestGain && gain > floor) { bestGain = gain; bestBin = (prev + b - 1) >> 1; bg = gl; bc = cl; }
      }
    }
    gl += hist[s]!; cl += cb; prev = b;
  }
  out[0] = bestGain; out[1] = bg; out[2] = bc;
  return bestBin;
}
