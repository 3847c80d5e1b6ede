// Grows one tree on binned data with gradient statistics, for every tree model here:
//  - scalar targets: per row g (sum target) and h (weight or hessian). A leaf is G / (H + lambda)
//    and a split's gain is G_L^2/(H_L+l) + G_R^2/(H_R+l) - G^2/(H+l). With g = w*y, h = w and
//    lambda 0 this is exactly the squared-error (variance) reduction of a regression tree; with
//    g = -gradient, h = hessian it is the Newton step of gradient boosting.
//  - class targets: per row a label and a weight. Gini impurity is the summed variance of the
//    one-hot class indicators, so the same gain over K indicator sums is Gini's reduction; a
//    leaf holds the class proportions.
// Large nodes use histograms (the smaller child is built, the larger is parent minus it); small
// nodes, where clearing and scanning a whole histogram would cost more than their rows, sort
// their rows per column once and keep the sorted lists through their subtree (stable
// partitions). Both find the same splits up to floating-point summation order.
// This file orchestrates the growth (node arrays, level-wise, depth-first and best-first order);
// histograms are histogram.ts, the small nodes' sorted lists sorted-rows.ts, the split search
// split-finder.ts, the node and its queue grow-node.ts.
import type { BinnedData } from './dataset.ts';
import type { Rng } from '../core/rng.ts';
import { heapPop, heapPush, type GrowNode } from './grow-node.ts';
import { buildHistogram, HistogramPool, totals } from './histogram.ts';
import { SortedRows } from './sorted-rows.ts';
import { SplitFinder } from './split-finder.ts';

export interface GrowParams {
  /** Infinity for no limit */
  maxDepth: number;
  /** 0 for no limit; when set, nodes are split best-first (leaf-wise) */
  maxLeaves: number;
  minSamplesLeaf: number;
  /** minimum hessian / weight sum in a child */
  minChildWeight: number;
  lambda: number;
  /** a split must improve the objective by more than this */
  minGain: number;
  /** candidate features drawn at each node (scikit-learn's max_features), <= allowed features */
  maxFeatures: number;
}

export type Targets =
  | { kind: 'scalar'; g: Float64Array; h: Float64Array | null }
  | { kind: 'class'; label: Int32Array; w: Float64Array | null; nClasses: number };

/**
 * A grown tree in bin space: internal node i tests featureBin(x, feature[i]) <= bin[i]. Its
 * arrays are the grower's own and may be longer than the tree: nodes are 0..nNodes-1.
 */
export interface GrownTree {
  nNodes: number;
  feature: Int32Array;
  bin: Int32Array;
  left: Int32Array;
  right: Int32Array;
  /** nOutputs values per node (filled for leaves) */
  value: Float64Array;
  nOutputs: number;
  /** each node's row segment in the rows array passed to grow() (rows are permuted in place) */
  start: Int32Array;
  end: Int32Array;
  /**
   * Row backend growth only: 1 for a split whose rows were not partitioned because both of its
   * children are leaves (nothing needs their rows apart); its rows are still its own segment.
   */
  unsplit?: Uint8Array;
}

/**
 * Where the rows live when not in the grower's own `rows` array (parallel boosting): builds a
 * node's histogram and partitions its rows, keyed by node id.
 */
export interface RowBackend {
  /** histograms of several nodes at once (one round trip to the worker threads) */
  buildMany(nodes: number[], hists: Float64Array[]): void;
  /** items: node, feature, bin, left id, right id per split */
  splitMany(items: number[]): void;
  /** slots per histogram bin of the histograms it builds: 3 (g, h, count) or 2 (g, count: unit hessians) */
  readonly histStride: number;
  /** a histogram buffer it can build into directly */
  newHist(): Float64Array;
  /** into -= h element-wise, for histograms from newHist() or of its length */
  subtract(into: Float64Array, h: Float64Array): void;
}

export class TreeGrower {
  private readonly S: number;
  private readonly K: number;
  private readonly slots: number;
  private readonly hists: HistogramPool;
  private readonly lists: SortedRows;
  private readonly finder: SplitFinder;
  /** node statistic vectors, recycled: deep trees have tens of thousands of nodes */
  private readonly statPool: Float64Array[] = [];
  /** nodes with at most this many rows sort their rows instead of building a histogram */
  private readonly small: number;
  private readonly featList: Int32Array;
  // the tree being grown (set by grow()): its helpers are methods, not closures made per call,
  // because under tsx every closure is given its name at creation (esbuild's keepNames), which
  // costs about as much as growing a small tree
  private gRows: Int32Array = new Int32Array(0);
  private gT: Targets = { kind: 'scalar', g: new Float64Array(0), h: null };
  private gP: GrowParams = { maxDepth: 0, maxLeaves: 0, minSamplesLeaf: 1, minChildWeight: 0, lambda: 0, minGain: 0, maxFeatures: 1 };
  private gBe: RowBackend | null = null;
  private gRng: Rng | null = null;
  private gValue: Float64Array = new Float64Array(0);
  private gStart: Int32Array = new Int32Array(0);
  private gEnd: Int32Array = new Int32Array(0);
  private gSampling = false;
  private gM = 0;
  private gNAllowed = 0;
  /** nodes of the tree being grown so far (node ids are 0..gNodes-1) */
  private gNodes = 1;
  /**
   * The grown tree's node arrays (feature, bin, left, right, start, end; values), reused by every
   * grow(): a forest of small trees would otherwise mostly allocate and collect them
   */
  private nodeCap = 0;
  private nFeature = new Int32Array(0);
  private nBin = new Int32Array(0);
  private nLeft = new Int32Array(0);
  private nRight = new Int32Array(0);
  private nStart = new Int32Array(0);
  private nEnd = new Int32Array(0);
  private nValue = new Float64Array(0);

  constructor(readonly data: BinnedData, kind: 'scalar' | 'class', nClasses = 0) {
    this.K = kind === 'scalar' ? 1 : nClasses;
    this.S = kind === 'scalar' ? 3 : nClasses + 2;
    this.slots = data.colOffset[data.nCols]!;
    this.hists = new HistogramPool(this.slots, this.S);
    this.lists = new SortedRows(data);
    this.finder = new SplitFinder(data, this.S, this.K, this.hists, this.lists);
    // a node sorts its rows instead of using a histogram while n log n per numeric column is
    // below the cost of clearing, subtracting and scanning all histogram slots
    const numericCols = this.lists.numCols.length;
    let small = 4;
    while (small < 4096 && small * Math.max(1, numericCols) * Math.log2(small) < this.slots * this.S * 0.75) small *= 2;
    this.small = small;
    this.featList = new Int32Array(data.nFeatures);
  }

  /**
   * Grows a tree over rows[0..nRows) (permuted in place so every node owns a segment).
   * allowed: the features this tree may use (colsample), or null for all. The tree's arrays are
   * the grower's own: valid until its next grow().
   */
  grow(rows: Int32Array, nRows: number, t: Targets, p: GrowParams, rng: Rng, allowed: Int32Array | null = null, be: RowBackend | null = null): GrownTree {
    const { S, K } = this;
    const nOut = K;
    const unitH = t.kind === 'scalar' && !t.h;
    this.finder.unitH = unitH;
    this.hists.use(be, S);
    if (be && (t.kind !== 'scalar' || (this.hists.stride === 2) !== unitH)) throw new Error('row backend histogram stride does not match the targets');
    const maxDepth = p.maxDepth;
    const cap = Math.max(1, Math.min(
      2 * nRows - 1,
      p.maxLeaves > 0 ? 2 * p.maxLeaves - 1 : Infinity,
      maxDepth < 30 ? 2 ** (maxDepth + 1) - 1 : Infinity,
    ));
    if (this.nodeCap < cap) {
      this.nodeCap = cap;
      this.nFeature = new Int32Array(cap); this.nBin = new Int32Array(cap); this.nLeft = new Int32Array(cap);
      this.nRight = new Int32Array(cap); this.nStart = new Int32Array(cap); this.nEnd = new Int32Array(cap);
      this.nValue = new Float64Array(cap * nOut);
    }
    const feature = this.nFeature.fill(-1, 0, cap), bin = this.nBin.fill(0, 0, cap);
    const left = this.nLeft.fill(-1, 0, cap), right = this.nRight.fill(-1, 0, cap);
    const start = this.nStart.fill(0, 0, cap), end = this.nEnd.fill(0, 0, cap);
    const value = this.nValue.fill(0, 0, cap * nOut);
    this.lists.reserve(nRows);

    let nAllowed = 0;
    if (allowed) { for (const f of allowed) this.featList[nAllowed++] = f; }
    else for (let f = 0; f < this.data.nFeatures; f++) this.featList[nAllowed++] = f;
    const m = Math.max(1, Math.min(nAllowed, p.maxFeatures));
    const sampling = m < nAllowed;
    if (!sampling) for (let k = 0; k < nAllowed; k++) this.finder.mask[this.featList[k]!] = 1;

    this.gRows = rows; this.gT = t; this.gP = p; this.gBe = be; this.gRng = rng;
    this.gValue = value; this.gStart = start; this.gEnd = end;
    this.gSampling = sampling; this.gM = m; this.gNAllowed = nAllowed;
    const root: GrowNode = {
      id: 0, start: 0, end: nRows, depth: 0, hist: null, tot: this.stats().fill(0), gain: 0, feat: -1, bin: 0, leftTot: this.stats(), sorted: false,
    };
    if (be) {
      // the root's totals are any one column's histogram summed
      root.hist = this.hists.take(false);
      be.buildMany([0], [root.hist]);
      const W = this.hists.stride, rh = root.hist;
      for (let q = 0; q < this.data.colOffset[1]!; q++) {
        root.tot[0] += rh[q * W]!; root.tot[2] += rh[q * W + W - 1]!;
        if (W === 3) root.tot[1] += rh[q * W + 1]!;
      }
      if (unitH) root.tot[1] = root.tot[2]!;
    } else totals(rows, 0, nRows, t, this.K, root.tot);
    this.gNodes = 1;
    const pending: GrowNode[] = [];
    const bestFirst = p.maxLeaves > 0;
    this.pushNode(root, pending, bestFirst);
    // with a row backend and no leaf limit, grow level by level: each level's splits and
    // histograms then cost one round trip to the worker threads instead of one per node
    const level = be && !bestFirst ? pending.splice(0) : [];
    const unsplit = level.length ? this.growLevels(level, be!, cap) : null;
    if (pending.length) this.growDepthFirst(pending, bestFirst);
    if (sampling) this.finder.mask.fill(0); else for (let k = 0; k < nAllowed; k++) this.finder.mask[this.featList[k]!] = 0;
    return { nNodes: this.gNodes, feature, bin, left, right, value, nOutputs: nOut, start, end, unsplit: unsplit ?? undefined };
  }

  // grow() is split in three so that V8 optimises each part on its own: a forest, a boosting
  // run and a spend model take different branches, and each new branch taken in optimised code
  // throws the code away; one large grow() was recompiled half a dozen times per process, at
  // ~100 ms of compiler time each

  /** Level-wise growth with a row backend; returns the splits left unpartitioned (see GrownTree.unsplit). */
  private growLevels(first: GrowNode[], be: RowBackend, cap: number): Uint8Array {
    const S = this.S;
    let level = first;
    const unsplit = new Uint8Array(cap);
    while (level.length) {
      const items: number[] = [], pairs: GrowNode[] = [];
      for (const n of level) {
        const [L, R] = this.children(n, 0, 0, 0);
        // children that are both leaves need no partition: the caller reads their rows by
        // testing the split on the parent's segment
        if (this.canSplit(L) || this.canSplit(R)) items.push(n.id, n.feat, n.bin, L.id, R.id);
        else unsplit[n.id] = 1;
        pairs.push(n, L, R);
      }
      if (items.length) be.splitMany(items);
      const ids: number[] = [], hs: Float64Array[] = [];
      const plan: { ph: Float64Array; built: GrowNode; derived: GrowNode; needBuilt: boolean; needDerived: boolean; bh: Float64Array }[] = [];
      for (let q = 0; q < pairs.length; q += 3) {
        const n = pairs[q]!, L = pairs[q + 1]!, R = pairs[q + 2]!;
        const ph = n.hist!; n.hist = null;
        const hl = this.canSplit(L), hr = this.canSplit(R);
        if (!hl && !hr) { this.hists.give(ph); continue; }
        const lSmaller = L.tot[S - 1]! <= R.tot[S - 1]!;
        const bh = this.hists.take(false);
        const built = lSmaller ? L : R;
        ids.push(built.id); hs.push(bh);
        plan.push({ ph, built, derived: lSmaller ? R : L, needBuilt: lSmaller ? hl : hr, needDerived: lSmaller ? hr : hl, bh });
      }
      if (ids.length) be.buildMany(ids, hs);
      for (const { ph, built, derived, needBuilt, needDerived, bh } of plan) {
        if (needDerived) { be.subtract(ph, bh); derived.hist = ph; } else this.hists.give(ph);
        if (needBuilt) built.hist = bh; else this.hists.give(bh);
      }
      const next: GrowNode[] = [];
      for (let q = 0; q < pairs.length; q += 3) {
        this.statPool.push(pairs[q]!.tot);
        for (const c of [pairs[q + 1]!, pairs[q + 2]!]) {
          if (!this.canSplit(c)) { this.setLeaf(c); continue; }
          this.findSplit(c);
          if (c.feat < 0) this.setLeaf(c); else next.push(c);
        }
      }
      level = next;
    }
    return unsplit;
  }

  /** n's two children, left over rows [lo, mid) and right over [mid, hi), recorded as n's split. */
  private children(n: GrowNode, lo: number, mid: number, hi: number): [GrowNode, GrowNode] {
    const L: GrowNode = {
      id: this.gNodes++, start: lo, end: mid, depth: n.depth + 1, hist: null, tot: n.leftTot, gain: 0, feat: -1, bin: 0, leftTot: this.stats(), sorted: false,
    };
    const rt = this.stats();
    for (let s = 0; s < this.S; s++) rt[s] = n.tot[s]! - n.leftTot[s]!;
    const R: GrowNode = {
      id: this.gNodes++, start: mid, end: hi, depth: n.depth + 1, hist: null, tot: rt, gain: 0, feat: -1, bin: 0, leftTot: this.stats(), sorted: false,
    };
    this.nFeature[n.id] = n.feat; this.nBin[n.id] = n.bin; this.nLeft[n.id] = L.id; this.nRight[n.id] = R.id;
    return [L, R];
  }

  /** Depth-first (or best-first, with a leaf limit) growth of the pending nodes. */
  private growDepthFirst(pending: GrowNode[], bestFirst: boolean): void {
    const S = this.S, p = this.gP, rows = this.gRows, be = this.gBe;
    const start = this.nStart, end = this.nEnd;
    let leaves = 1;
    while (pending.length) {
      const n = bestFirst ? heapPop(pending) : pending.pop()!;
      if (bestFirst && leaves >= p.maxLeaves) { this.setLeaf(n); continue; }
      leaves++;
      const mid = be ? n.start : this.lists.partition(rows, n.start, n.end, n.feat, n.bin, n.sorted);
      if (n.sorted) this.lists.partitionSorted(n.start, n.end);
      const [L, R] = this.children(n, n.start, mid, n.end);
      if (be) be.splitMany([n.id, n.feat, n.bin, L.id, R.id]);
      start[n.id] = n.start; end[n.id] = n.end;
      if (n.hist) {
        const hl = this.canSplit(L) && this.useHist(L), hr = this.canSplit(R) && this.useHist(R);
        const ph = n.hist; n.hist = null;
        if (hl || hr) {
          // build the child with fewer rows, derive the other as parent minus it
          const lSmaller = L.tot[S - 1]! <= R.tot[S - 1]!;
          const built = lSmaller ? L : R, derived = lSmaller ? R : L;
          const needBuilt = lSmaller ? hl : hr, needDerived = lSmaller ? hr : hl;
          const bh = this.hists.take(!be);
          this.fill(bh, built);
          if (needDerived) {
            if (be) be.subtract(ph, bh); else for (let s = 0; s < ph.length; s++) ph[s] -= bh[s]!;
            derived.hist = ph;
          } else this.hists.give(ph);
          if (needBuilt) built.hist = bh; else this.hists.give(bh);
        } else this.hists.give(ph);
      }
      L.sorted = R.sorted = n.sorted;
      this.statPool.push(n.tot);
      this.pushNode(L, pending, bestFirst); this.pushNode(R, pending, bestFirst);
    }
  }

  private canSplit(n: GrowNode): boolean {
    const p = this.gP, S = this.S, cnt = n.tot[S - 1]!, w = n.tot[S - 2]!;
    return n.depth < p.maxDepth && cnt >= 2 * p.minSamplesLeaf && cnt >= 2 && w >= 2 * p.minChildWeight;
  }

  private useHist(n: GrowNode): boolean {
    return this.gBe !== null || n.end - n.start > this.small;
  }

  private fill(h: Float64Array, n: GrowNode): void {
    if (this.gBe) this.gBe.buildMany([n.id], [h]); else buildHistogram(this.data, h, this.gRows, n.start, n.end, this.gT, this.S, this.K, this.hists);
  }

  private stats(): Float64Array {
    return this.statPool.pop() ?? new Float64Array(this.S);
  }

  private findSplit(n: GrowNode): void {
    const m = this.gM, nAllowed = this.gNAllowed, featList = this.featList, mask = this.finder.mask;
    if (this.gSampling) {
      // partial Fisher-Yates: the first m entries of featList are this node's candidates
      const rng = this.gRng!;
      for (let k = 0; k < m; k++) {
        const j = k + rng.int(nAllowed - k);
        const a = featList[k]!; featList[k] = featList[j]!; featList[j] = a;
        mask[featList[k]!] = 1;
      }
    }
    n.gain = 0; n.feat = -1;
    if (n.hist) this.finder.splitFromHist(n, this.gT, this.gP); else this.finder.splitDirect(n, this.gRows, this.gT, this.gP);
    if (this.gSampling) for (let k = 0; k < m; k++) mask[featList[k]!] = 0;
  }

  private setLeaf(n: GrowNode): void {
    const tot = n.tot, K = this.K, o = n.id * K, value = this.gValue;
    if (this.gT.kind === 'scalar') value[o] = tot[0]! / (tot[1]! + this.gP.lambda);
    else { const w = tot[K]!; for (let k = 0; k < K; k++) value[o + k] = w > 0 ? tot[k]! / w : 0; }
    this.gStart[n.id] = n.start; this.gEnd[n.id] = n.end;
    if (n.hist) { this.hists.give(n.hist); n.hist = null; }
    this.statPool.push(n.tot, n.leftTot);
  }

  /** A new node: a leaf, or its best split found and the node queued for splitting. */
  private pushNode(n: GrowNode, pending: GrowNode[], bestFirst: boolean): void {
    if (!this.canSplit(n)) { this.setLeaf(n); return; }
    if (this.useHist(n) && !n.hist) { n.hist = this.hists.take(!this.gBe); this.fill(n.hist, n); }
    this.findSplit(n);
    if (n.feat < 0) { this.setLeaf(n); return; }
    if (bestFirst) heapPush(pending, n); else pending.push(n);
  }


}
