// Row shards for parallel histogram boosting. The training rows are cut into SHARDS fixed
// blocks; every node keeps one row segment per block, and a node's histogram is the sum of its
// blocks' histograms, always added in block order. Which thread computes which block does not
// change a single floating-point operation, so the model is identical with 1 or N threads.
// Everything here lives in SharedArrayBuffers, read by the boosting worker (boost-worker.ts).
import type { BinnedData } from './dataset.ts';

/** Fixed number of row blocks (the most threads boosting can use). */
export const SHARDS = 2;
/** nodes per batched command (a tree level is sent in chunks of this many) */
export const BATCH = 64;

export interface ShardArrays {
  /** row ids; block s owns positions [lo[s], lo[s + 1]) */
  rows: Int32Array;
  lo: Int32Array;
  /** per block and node: segment of `rows` (index s * maxNodes + node) */
  segStart: Int32Array;
  segEnd: Int32Array;
  maxNodes: number;
  /** per block, BATCH histograms (slots x 3 each: g, h, count) */
  hists: Float64Array[];
  histLen: number;
  /** batched command arguments: node ids, or 5 ints per split */
  list: Int32Array;
  g: Float64Array;
  /** null for unit hessians (squared loss) */
  h: Float64Array | null;
}

function sab<T>(C: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T {
  return new C(new SharedArrayBuffer(Math.max(1, n) * C.BYTES_PER_ELEMENT));
}

export function allocShards(data: BinnedData, maxNodes: number, unitH: boolean): ShardArrays {
  const n = data.n;
  const lo = sab(Int32Array, SHARDS + 1);
  for (let s = 0; s <= SHARDS; s++) lo[s] = Math.round((s * n) / SHARDS);
  const slots = data.colOffset[data.nCols]!;
  return {
    rows: sab(Int32Array, n), lo,
    segStart: sab(Int32Array, SHARDS * maxNodes), segEnd: sab(Int32Array, SHARDS * maxNodes), maxNodes,
    hists: Array.from({ length: SHARDS }, () => sab(Float64Array, BATCH * slots * 3)), histLen: slots * 3,
    list: sab(Int32Array, BATCH * 5),
    g: sab(Float64Array, n), h: unitH ? null : sab(Float64Array, n),
  };
}

/** The per-block work: histogram of a node's block segment, and stable partition of it. */
export class ShardWorker {
  private tmp: Int32Array;
  private h2: Float64Array;

  constructor(readonly data: BinnedData, readonly a: ShardArrays) {
    this.tmp = new Int32Array(data.n);
    this.h2 = new Float64Array(data.colOffset[data.nCols]! * 3);
  }

  /** Executes a batched command (the node list is in a.list) on block s. */
  exec(cmd: number, s: number, count: number): void {
    const l = this.a.list;
    if (cmd === CMD.BUILD) for (let j = 0; j < count; j++) this.build(s, l[j]!, j);
    else for (let j = 0; j < count; j++) this.split(s, l[5 * j]!, l[5 * j + 1]!, l[5 * j + 2]!, l[5 * j + 3]!, l[5 * j + 4]!);
  }

  build(s: number, node: number, j: number): void {
    const { bins, nCols, colOffset } = this.data;
    const { g, h, rows, histLen } = this.a;
    const hist = this.a.hists[s]!.subarray(j * histLen, (j + 1) * histLen);
    hist.fill(0);
    const k0 = this.a.segStart[s * this.a.maxNodes + node]!, k1 = this.a.segEnd[s * this.a.maxNodes + node]!;
    // two rows at a time into two histograms: consecutive rows often hit the same slot, and one
    // accumulator would make each add wait for the previous store to that slot
    const dual = k1 - k0 >= 2048;
    const h2 = this.h2;
    if (dual) h2.fill(0);
    let k = k0;
    if (dual && !h) {
      // unit hessians: the h slot stays 0 (the grower reads the count instead)
      for (; k + 1 < k1; k += 2) {
        const i = rows[k]!, j = rows[k + 1]!, gi = g[i]!, gj = g[j]!, bi = i * nCols, bj = j * nCols;
        for (let c = 0; c < nCols; c++) {
          const o = colOffset[c]!;
          const p = (o + bins[bi + c]!) * 3, q = (o + bins[bj + c]!) * 3;
          hist[p] += gi; hist[p + 2] += 1;
          h2[q] += gj; h2[q + 2] += 1;
        }
      }
    } else if (dual) {
      for (; k + 1 < k1; k += 2) {
        const i = rows[k]!, j = rows[k + 1]!, gi = g[i]!, gj = g[j]!, bi = i * nCols, bj = j * nCols;
        const hi = h ? h[i]! : 0, hj = h ? h[j]! : 0;
        for (let c = 0; c < nCols; c++) {
          const o = colOffset[c]!;
          const p = (o + bins[bi + c]!) * 3, q = (o + bins[bj + c]!) * 3;
          hist[p] += gi; hist[p + 1] += hi; hist[p + 2] += 1;
          h2[q] += gj; h2[q + 1] += hj; h2[q + 2] += 1;
        }
      }
    }
    for (; k < k1; k++) {
      const i = rows[k]!, gi = g[i]!, hi = h ? h[i]! : 0, bi = i * nCols;
      for (let c = 0; c < nCols; c++) {
        const p = (colOffset[c]! + bins[bi + c]!) * 3;
        hist[p] += gi; hist[p + 1] += hi; hist[p + 2] += 1;
      }
    }
    if (dual) for (let p = 0; p < hist.length; p++) hist[p] += h2[p]!;
  }

  split(s: number, node: number, f: number, bin: number, left: number, right: number): void {
    const { bins, nCols, featCol, featCode } = this.data;
    const { rows, segStart, segEnd, maxNodes } = this.a;
    const col = featCol[f]!, code = featCode[f]!;
    const a = segStart[s * maxNodes + node]!, b = segEnd[s * maxNodes + node]!;
    const tmp = this.tmp;
    let w = a, t = 0;
    // branch-free: the side of a row is a coin flip to the branch predictor; one loop per kind
    // of column, so the test inside is a single compare
    if (code === 0) {
      for (let k = a; k < b; k++) {
        const r = rows[k]!;
        const l = (bins[r * nCols + col]! - bin - 1) >>> 31; // 1 when bin value <= bin
        rows[w] = r; tmp[t] = r; w += l; t += 1 - l;
      }
    } else {
      for (let k = a; k < b; k++) {
        const r = rows[k]!;
        const l = bins[r * nCols + col]! !== code ? 1 : 0;
        rows[w] = r; tmp[t] = r; w += l; t += 1 - l;
      }
    }
    for (let k = 0; k < t; k++) rows[w + k] = tmp[k]!;
    segStart[s * maxNodes + left] = a; segEnd[s * maxNodes + left] = w;
    segStart[s * maxNodes + right] = w; segEnd[s * maxNodes + right] = b;
  }
}

// control block of the boosting worker (Int32Array on a SharedArrayBuffer)
export const CTL = { SEQ: 0, CMD: 1, NODE: 2, F: 3, BIN: 4, L: 5, R: 6, DONE: 7, READY: 8, SIZE: 16 } as const;
export const CMD = { BUILD: 1, SPLIT: 2, STOP: 3 } as const;

/**
 * The parent's side: runs each per-node command on every block, handing the blocks >= `first`
 * to the worker thread once it is up (before that, or with one thread, it runs them all).
 */
export class ShardedRows {
  private readonly local: ShardWorker;
  private readonly ctl: Int32Array;
  private seq = 0;
  private parallel = false;
  /** trees grown with the worker's help (a diagnostic: the model is the same either way) */
  parallelTrees = 0;
  private readonly first = 1;

  constructor(readonly data: BinnedData, readonly arrays: ShardArrays, private readonly worker: { terminate(): unknown } | null, ctl: Int32Array | null) {
    this.local = new ShardWorker(data, arrays);
    this.ctl = ctl ?? new Int32Array(CTL.SIZE);
  }

  static controlBlock(): Int32Array {
    return new Int32Array(new SharedArrayBuffer(CTL.SIZE * 4));
  }

  /** Blocks until the worker is up (or the timeout passes); false when it never came. */
  waitReady(ms: number): boolean {
    if (!this.worker) return false;
    const t0 = Date.now();
    while (Atomics.load(this.ctl, CTL.READY) !== 1) {
      if (Date.now() - t0 > ms) return false;
      Atomics.wait(this.ctl, CTL.READY, 0, 5);
    }
    return true;
  }

  /** Called between trees: from now on use the worker if it has started. */
  beginTree(): void {
    this.parallel = this.worker !== null && Atomics.load(this.ctl, CTL.READY) === 1;
    if (this.parallel) this.parallelTrees++;
  }

  private run(cmd: number, count: number): void {
    if (!this.parallel) {
      for (let s = 0; s < SHARDS; s++) this.local.exec(cmd, s, count);
      return;
    }
    const ctl = this.ctl;
    ctl[CTL.CMD] = cmd; ctl[CTL.NODE] = count;
    const seq = ++this.seq;
    Atomics.store(ctl, CTL.SEQ, seq);
    Atomics.notify(ctl, CTL.SEQ);
    for (let s = 0; s < this.first; s++) this.local.exec(cmd, s, count);
    let d: number;
    // a short spin (the worker usually finishes about when we do), then sleep: spinning on a
    // machine with more busy threads than cores would steal the worker's own time
    for (let spin = 0; (d = Atomics.load(ctl, CTL.DONE)) !== seq; spin++) if (spin > 200) Atomics.wait(ctl, CTL.DONE, d, 1);
  }

  buildMany(nodes: number[], out: Float64Array[]): void {
    const { list, hists, histLen } = this.arrays;
    for (let c0 = 0; c0 < nodes.length; c0 += BATCH) {
      const count = Math.min(BATCH, nodes.length - c0);
      for (let j = 0; j < count; j++) list[j] = nodes[c0 + j]!;
      this.run(CMD.BUILD, count);
      for (let j = 0; j < count; j++) {
        const hist = out[c0 + j]!, o = j * histLen;
        hist.set(hists[0]!.subarray(o, o + histLen));
        // blocks are always added in the same order, whoever computed them
        for (let s = 1; s < SHARDS; s++) { const b = hists[s]!; for (let p = 0; p < histLen; p++) hist[p] += b[o + p]!; }
      }
    }
  }

  splitMany(items: number[]): void {
    const list = this.arrays.list;
    const n = items.length / 5;
    for (let c0 = 0; c0 < n; c0 += BATCH) {
      const count = Math.min(BATCH, n - c0);
      for (let k = 0; k < 5 * count; k++) list[k] = items[5 * c0 + k]!;
      this.run(CMD.SPLIT, count);
    }
  }

  close(): void {
    if (!this.worker) return;
    if (Atomics.load(this.ctl, CTL.READY) === 1) {
      this.ctl[CTL.CMD] = CMD.STOP;
      Atomics.store(this.ctl, CTL.SEQ, ++this.seq);
      Atomics.notify(this.ctl, CTL.SEQ);
    }
    void this.worker.terminate();
  }
}
