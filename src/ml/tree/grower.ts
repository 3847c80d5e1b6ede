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
import type { BinnedData } from './dataset.ts';
import type { Rng } from '../core/rng.ts';

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

interface Node {
  id: number; start: number; end: number; depth: number;
  hist: Float64Array | null;
  tot: Float64Array;
  gain: number; feat: number; bin: number; leftTot: Float64Array;
  /** small-node mode: the per-column sorted row lists of this segment are valid */
  sorted: boolean;
}

export class TreeGrower {
  private readonly S: number;
  private readonly K: number;
  private readonly slots: number;
  private readonly pool: Float64Array[] = [];
  /** node statistic vectors, recycled: deep trees have tens of thousands of nodes */
  private readonly statPool: Float64Array[] = [];
  private readonly small: number;
  private readonly maxMembers: number;
  // scratch for the small-node path
  private readonly numCols: Int32Array;
  /** per numeric column, row ids sorted by bin within every small node's segment */
  private colSorted = new Int32Array(0);
  private cap = 0;
  private keys = new Int32Array(0);
  private tmp = new Int32Array(0);
  private readonly mark: Uint8Array;
  /** scalar targets without h: histograms skip the hessian slot and read the row count instead */
  private unitH = false;
  /** slots per bin in histograms: S, or the row backend's stride */
  private W: number;
  /** the row backend the pooled histograms came from (they may live in its shared arena) */
  private poolOwner: RowBackend | null = null;
  private readonly cum: Float64Array;
  private readonly bStats: Float64Array;
  private readonly bTouched: Int32Array;
  private readonly mask: Uint8Array;
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
  /** per numeric column, every row in (bin, row) order (see pickSorted), made on first use */
  private byBin: Int32Array | null = null;
  private readonly inSeg: Uint8Array;

  constructor(readonly data: BinnedData, kind: 'scalar' | 'class', nClasses = 0) {
    this.K = kind === 'scalar' ? 1 : nClasses;
    this.S = kind === 'scalar' ? 3 : nClasses + 2;
    this.W = this.S;
    this.slots = data.colOffset[data.nCols]!;
    let numericCols = 0, mm = 0;
    const nc: number[] = [];
    for (let c = 0; c < data.nCols; c++) {
      if (data.colMemberStart[c]! < 0) { numericCols++; nc.push(c); }
      else mm = Math.max(mm, data.colMemberCount[c]!);
    }
    this.numCols = Int32Array.from(nc);
    this.mark = new Uint8Array(data.n);
    this.inSeg = new Uint8Array(data.n);
    this.maxMembers = mm;
    // a node sorts its rows instead of using a histogram while n log n per numeric column is
    // below the cost of clearing, subtracting and scanning all histogram slots
    let small = 4;
    while (small < 4096 && small * Math.max(1, numericCols) * Math.log2(small) < this.slots * this.S * 0.75) small *= 2;
    this.small = small;
    this.cum = new Float64Array(this.S);
    this.bStats = new Float64Array((mm + 1) * this.S);
    this.bTouched = new Int32Array(mm + 1);
    this.mask = new Uint8Array(data.nFeatures);
    this.featList = new Int32Array(data.nFeatures);
  }

  /** zero: the caller accumulates into it (a row backend overwrites what it builds) */
  private takeHist(zero = true): Float64Array {
    const h = this.pool.pop();
    if (h) { if (zero) h.fill(0); return h; }
    return this.poolOwner ? this.poolOwner.newHist() : new Float64Array(this.slots * this.W);
  }

  /**
   * Grows a tree over rows[0..nRows) (permuted in place so every node owns a segment).
   * allowed: the features this tree may use (colsample), or null for all. The tree's arrays are
   * the grower's own: valid until its next grow().
   */
  grow(rows: Int32Array, nRows: number, t: Targets, p: GrowParams, rng: Rng, allowed: Int32Array | null = null, be: RowBackend | null = null): GrownTree {
    const { S, K } = this;
    const nOut = K;
    this.unitH = t.kind === 'scalar' && !t.h;
    if (be !== this.poolOwner) { this.pool.length = 0; this.poolOwner = be; }
    this.W = be ? be.histStride : S;
    if (be && (t.kind !== 'scalar' || (this.W === 2) !== this.unitH)) throw new Error('row backend histogram stride does not match the targets');
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
    if (this.cap < nRows) {
      this.cap = nRows;
      this.colSorted = new Int32Array(this.numCols.length * nRows);
      this.tmp = new Int32Array(nRows);
    }

    let nAllowed = 0;
    if (allowed) { for (const f of allowed) this.featList[nAllowed++] = f; }
    else for (let f = 0; f < this.data.nFeatures; f++) this.featList[nAllowed++] = f;
    const m = Math.max(1, Math.min(nAllowed, p.maxFeatures));
    const sampling = m < nAllowed;
    if (!sampling) for (let k = 0; k < nAllowed; k++) this.mask[this.featList[k]!] = 1;

    this.gRows = rows; this.gT = t; this.gP = p; this.gBe = be; this.gRng = rng;
    this.gValue = value; this.gStart = start; this.gEnd = end;
    this.gSampling = sampling; this.gM = m; this.gNAllowed = nAllowed;
    const root: Node = { id: 0, start: 0, end: nRows, depth: 0, hist: null, tot: this.stats().fill(0), gain: 0, feat: -1, bin: 0, leftTot: this.stats(), sorted: false };
    if (be) {
      // the root's totals are any one column's histogram summed
      root.hist = this.takeHist(false);
      be.buildMany([0], [root.hist]);
      const W = this.W, rh = root.hist;
      for (let q = 0; q < this.data.colOffset[1]!; q++) {
        root.tot[0] += rh[q * W]!; root.tot[2] += rh[q * W + W - 1]!;
        if (W === 3) root.tot[1] += rh[q * W + 1]!;
      }
      if (this.unitH) root.tot[1] = root.tot[2]!;
    } else this.totals(rows, 0, nRows, t, root.tot);
    this.gNodes = 1;
    const pending: Node[] = [];
    const bestFirst = p.maxLeaves > 0;
    this.pushNode(root, pending, bestFirst);
    // with a row backend and no leaf limit, grow level by level: each level's splits and
    // histograms then cost one round trip to the worker threads instead of one per node
    const level = be && !bestFirst ? pending.splice(0) : [];
    const unsplit = level.length ? this.growLevels(level, be!, cap) : null;
    if (pending.length) this.growDepthFirst(pending, bestFirst);
    if (sampling) this.mask.fill(0); else for (let k = 0; k < nAllowed; k++) this.mask[this.featList[k]!] = 0;
    return { nNodes: this.gNodes, feature, bin, left, right, value, nOutputs: nOut, start, end, unsplit: unsplit ?? undefined };
  }

  // grow() is split in three so that V8 optimises each part on its own: a forest, a boosting
  // run and a spend model take different branches, and each new branch taken in optimised code
  // throws the code away; one large grow() was recompiled half a dozen times per process, at
  // ~100 ms of compiler time each

  /** Level-wise growth with a row backend; returns the splits left unpartitioned (see GrownTree.unsplit). */
  private growLevels(first: Node[], be: RowBackend, cap: number): Uint8Array {
    const S = this.S;
    let level = first;
    const unsplit = new Uint8Array(cap);
    while (level.length) {
      const items: number[] = [], pairs: Node[] = [];
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
      const plan: { ph: Float64Array; built: Node; derived: Node; needBuilt: boolean; needDerived: boolean; bh: Float64Array }[] = [];
      for (let q = 0; q < pairs.length; q += 3) {
        const n = pairs[q]!, L = pairs[q + 1]!, R = pairs[q + 2]!;
        const ph = n.hist!; n.hist = null;
        const hl = this.canSplit(L), hr = this.canSplit(R);
        if (!hl && !hr) { this.pool.push(ph); continue; }
        const lSmaller = L.tot[S - 1]! <= R.tot[S - 1]!;
        const bh = this.takeHist(false);
        const built = lSmaller ? L : R;
        ids.push(built.id); hs.push(bh);
        plan.push({ ph, built, derived: lSmaller ? R : L, needBuilt: lSmaller ? hl : hr, needDerived: lSmaller ? hr : hl, bh });
      }
      if (ids.length) be.buildMany(ids, hs);
      for (const { ph, built, derived, needBuilt, needDerived, bh } of plan) {
        if (needDerived) { be.subtract(ph, bh); derived.hist = ph; } else this.pool.push(ph);
        if (needBuilt) built.hist = bh; else this.pool.push(bh);
      }
      const next: Node[] = [];
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
  private children(n: Node, lo: number, mid: number, hi: number): [Node, Node] {
    const L: Node = { id: this.gNodes++, start: lo, end: mid, depth: n.depth + 1, hist: null, tot: n.leftTot, gain: 0, feat: -1, bin: 0, leftTot: this.stats(), sorted: false };
    const rt = this.stats();
    for (let s = 0; s < this.S; s++) rt[s] = n.tot[s]! - n.leftTot[s]!;
    const R: Node = { id: this.gNodes++, start: mid, end: hi, depth: n.depth + 1, hist: null, tot: rt, gain: 0, feat: -1, bin: 0, leftTot: this.stats(), sorted: false };
    this.nFeature[n.id] = n.feat; this.nBin[n.id] = n.bin; this.nLeft[n.id] = L.id; this.nRight[n.id] = R.id;
    return [L, R];
  }

  /** Depth-first (or best-first, with a leaf limit) growth of the pending nodes. */
  private growDepthFirst(pending: Node[], bestFirst: boolean): void {
    const S = this.S, p = this.gP, rows = this.gRows, be = this.gBe;
    const start = this.nStart, end = this.nEnd;
    let leaves = 1;
    while (pending.length) {
      const n = bestFirst ? heapPop(pending) : pending.pop()!;
      if (bestFirst && leaves >= p.maxLeaves) { this.setLeaf(n); continue; }
      leaves++;
      const mid = be ? n.start : this.partition(rows, n.start, n.end, n.feat, n.bin, n.sorted);
      if (n.sorted) this.partitionSorted(n.start, n.end);
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
          const bh = this.takeHist(!be);
          this.fill(bh, built);
          if (needDerived) {
            if (be) be.subtract(ph, bh); else for (let s = 0; s < ph.length; s++) ph[s] -= bh[s]!;
            derived.hist = ph;
          } else this.pool.push(ph);
          if (needBuilt) built.hist = bh; else this.pool.push(bh);
        } else this.pool.push(ph);
      }
      L.sorted = R.sorted = n.sorted;
      this.statPool.push(n.tot);
      this.pushNode(L, pending, bestFirst); this.pushNode(R, pending, bestFirst);
    }
  }

  private canSplit(n: Node): boolean {
    const p = this.gP, S = this.S, cnt = n.tot[S - 1]!, w = n.tot[S - 2]!;
    return n.depth < p.maxDepth && cnt >= 2 * p.minSamplesLeaf && cnt >= 2 && w >= 2 * p.minChildWeight;
  }

  private useHist(n: Node): boolean {
    return this.gBe !== null || n.end - n.start > this.small;
  }

  private fill(h: Float64Array, n: Node): void {
    if (this.gBe) this.gBe.buildMany([n.id], [h]); else this.buildHist(h, this.gRows, n.start, n.end, this.gT);
  }

  private stats(): Float64Array {
    return this.statPool.pop() ?? new Float64Array(this.S);
  }

  private findSplit(n: Node): void {
    const m = this.gM, nAllowed = this.gNAllowed, featList = this.featList, mask = this.mask;
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
    if (n.hist) this.splitFromHist(n, this.gT, this.gP); else this.splitDirect(n, this.gRows, this.gT, this.gP);
    if (this.gSampling) for (let k = 0; k < m; k++) mask[featList[k]!] = 0;
  }

  private setLeaf(n: Node): void {
    const tot = n.tot, K = this.K, o = n.id * K, value = this.gValue;
    if (this.gT.kind === 'scalar') value[o] = tot[0]! / (tot[1]! + this.gP.lambda);
    else { const w = tot[K]!; for (let k = 0; k < K; k++) value[o + k] = w > 0 ? tot[k]! / w : 0; }
    this.gStart[n.id] = n.start; this.gEnd[n.id] = n.end;
    if (n.hist) { this.pool.push(n.hist); n.hist = null; }
    this.statPool.push(n.tot, n.leftTot);
  }

  /** A new node: a leaf, or its best split found and the node queued for splitting. */
  private pushNode(n: Node, pending: Node[], bestFirst: boolean): void {
    if (!this.canSplit(n)) { this.setLeaf(n); return; }
    if (this.useHist(n) && !n.hist) { n.hist = this.takeHist(!this.gBe); this.fill(n.hist, n); }
    this.findSplit(n);
    if (n.feat < 0) { this.setLeaf(n); return; }
    if (bestFirst) heapPush(pending, n); else pending.push(n);
  }

  private totals(rows: Int32Array, a: number, b: number, t: Targets, out: Float64Array): void {
    out.fill(0);
    if (t.kind === 'scalar') {
      const { g, h } = t;
      let G = 0, H = 0;
      for (let k = a; k < b; k++) { const i = rows[k]!; G += g[i]!; H += h ? h[i]! : 1; }
      out[0] = G; out[1] = H; out[2] = b - a;
    } else {
      const { label, w } = t, K = this.K;
      for (let k = a; k < b; k++) { const i = rows[k]!; const wi = w ? w[i]! : 1; out[label[i]!] += wi; out[K] += wi; }
      out[K + 1] = b - a;
    }
  }

  private buildHist(hist: Float64Array, rows: Int32Array, a: number, b: number, t: Targets): void {
    const { bins, nCols, colOffset } = this.data;
    if (t.kind === 'scalar' && b - a >= 2048) {
      // two rows at a time into two histograms: consecutive rows often hit the same slot, and
      // one accumulator would make every add wait for the previous store to that slot
      const g = t.g, h = t.h;
      const h2 = this.takeHist();
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
      this.pool.push(h2);
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
      const { label, w } = t, S = this.S, K = this.K;
      for (let k = a; k < b; k++) {
        const i = rows[k]!, li = label[i]!, wi = w ? w[i]! : 1, base = i * nCols;
        for (let c = 0; c < nCols; c++) {
          const s = (colOffset[c]! + bins[base + c]!) * S;
          hist[s + li] += wi; hist[s + K] += wi; hist[s + K + 1] += 1;
        }
      }
    }
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
  private consider(n: Node, lt: Float64Array, f: number, b: number, p: GrowParams, parentScore: number): void {
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

  private splitFromHist(n: Node, t: Targets, p: GrowParams): void {
    const { colOffset, colMemberStart, colMemberCount, members, nCols } = this.data;
    const hist = n.hist!, S = this.S, W = this.W, mask = this.mask, tot = n.tot, lam = p.lambda;
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
        if (r >= 0) { n.gain = this.scanOut[0]!; n.feat = f; n.bin = r; n.leftTot[0] = this.scanOut[1]!; n.leftTot[1] = this.scanOut[2]!; n.leftTot[2] = this.scanOut[2]!; }
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
  private featureOfPlainCol(c: number): number {
    if (!this.plainFeature) {
      const { featCol, featCode, nCols, nFeatures } = this.data;
      this.plainFeature = new Int32Array(nCols).fill(-1);
      for (let f = 0; f < nFeatures; f++) if (featCode[f] === 0) this.plainFeature[featCol[f]!] = f;
    }
    return this.plainFeature[c]!;
  }

  /** Split search on a small node from its per-column sorted row lists. */
  private splitDirect(n: Node, rows: Int32Array, t: Targets, p: GrowParams): void {
    if (!n.sorted) { this.sortSegment(rows, n.start, n.end); n.sorted = true; }
    const { bins, nCols, colMemberStart, members } = this.data;
    const { S, mask, cum, colSorted: cs, cap, numCols } = this;
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
          this.addRow(bs, o, i, t);
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
          this.addRow(cum, 0, cs[j]!, t);
          const nb = bins[cs[j + 1]! * nCols + c]!;
          if (nb !== cur) { this.consider(n, cum, f, (cur + nb - 1) >> 1, p, parentScore); cur = nb; }
        }
      }
    }
  }

  /** Adds one row's statistics at arr[o..o+S). */
  private addRow(arr: Float64Array, o: number, i: number, t: Targets): void {
    if (t.kind === 'scalar') { arr[o] += t.g[i]!; arr[o + 1] += t.h ? t.h[i]! : 1; arr[o + 2] += 1; return; }
    const wi = t.w ? t.w[i]! : 1;
    arr[o + t.label[i]!] += wi; arr[o + this.K] += wi; arr[o + this.K + 1] += 1;
  }

  /**
   * Moves the rows going left (featureBin <= b) to the front of the segment, keeping row order
   * on both sides so histogram building reads memory in ascending order; returns the boundary.
   * Marks each row's side for partitionSorted().
   */
  private partition(rows: Int32Array, a: number, b: number, f: number, bin: number, marks: boolean): number {
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
  private partitionSorted(a: number, b: number): void {
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
  private sortSegment(rows: Int32Array, a: number, b: number): void {
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

function heapPush(h: Node[], n: Node): void {
  h.push(n);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!better(h[i]!, h[p]!)) break;
    [h[i], h[p]] = [h[p]!, h[i]!]; i = p;
  }
}

function heapPop(h: Node[]): Node {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && better(h[l]!, h[m]!)) m = l;
      if (r < h.length && better(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!]; i = m;
    }
  }
  return top;
}

/** Higher gain first; ties by node id so growth order never depends on heap internals. */
function better(a: Node, b: Node): boolean {
  return a.gain > b.gain || (a.gain === b.gain && a.id < b.id);
}
