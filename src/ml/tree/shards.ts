// Row shards for parallel histogram boosting. The training rows are cut into SHARDS fixed
// blocks; every node keeps one row segment per block, and partitions run per block (one thread
// each). A node's histogram is built straight into its output buffer, split by columns between
// the threads: every slot is still summed over the node's rows in the same order (block 0's
// segment, then block 1's), so which thread computes which columns does not change a single
// floating-point operation and the model is identical with 1 or N threads.
// Everything here lives in SharedArrayBuffers, read by the boosting worker (boost-worker.ts).
import type { BinnedData } from './dataset.ts';
import { histKernels, partitionKernels, vectorKernels, type HistKernels, type HistLayout, type PartitionKernels, type VectorKernels } from './shard-wasm.ts';

/** Fixed number of row blocks and column parts (the most threads boosting can use). */
export const SHARDS = 2;
/** nodes per batched command (a tree level is sent in chunks of this many) */
export const BATCH = 64;
/** probe trees per mode once the worker is up, and the period of re-probing */
const PROBE = 3;
const PROBE_EVERY = 32;
const RECENT = 5;

function median(a: number[]): number {
  if (!a.length) return Infinity;
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1]!;
}
/** nodes at least this large accumulate odd rows into a second histogram (see build) */
const DUAL_ROWS = 2048;

export interface ShardArrays {
  /** row ids; block s owns positions [lo[s], lo[s + 1]) */
  rows: Int32Array;
  lo: Int32Array;
  /** per block and node: segment of `rows` (index s * maxNodes + node) */
  segStart: Int32Array;
  segEnd: Int32Array;
  maxNodes: number;
  /** slots per histogram bin: 3 (g, h, count), or 2 (g, count) with unit hessians */
  stride: number;
  /** histogram arena: nArena histograms handed to the grower, then BATCH scratch ones */
  arena: Float64Array;
  nArena: number;
  histLen: number;
  /** column c0 of part p is colStart[p]; colStart[SHARDS] = nCols */
  colStart: Int32Array;
  /** batched command arguments: node id and arena index per build, or 5 ints per split */
  list: Int32Array;
  g: Float64Array;
  /** null for unit hessians (squared loss) */
  h: Float64Array | null;
  /**
   * The binned matrix again, column-major (column c at c * n): a partition reads one column at
   * scattered rows, which stays in cache as one 1-byte-per-row column where the row-major
   * matrix would fetch a cache line per row.
   */
  colBins: Uint8Array;
  /**
   * The root's count slots, identical every tree when every tree sees all rows (unit hessians):
   * rootState[0] = 1 once they are here, and root builds then only add gradients.
   */
  rootCounts: Float64Array;
  rootState: Int32Array;
  /**
   * Shared WebAssembly memory holding the arena, rows, g, h, both bin layouts and per-thread
   * scratch (histograms and partitions run as WebAssembly, see shard-wasm.ts); the arrays above
   * that they read are views of it.
   */
  memory: WebAssembly.Memory;
  /** byte addresses in memory (arena at 0; thread t's scratch at tmpAt + t tmpBytes, h2At + t h2Bytes) */
  rowsAt: number;
  colBinsAt: number;
  binsAt: number;
  gAt: number;
  hAt: number;
  tmpAt: number;
  tmpBytes: number;
  h2At: number;
  h2Bytes: number;
}

/** threads with a partition scratch in the shared memory: the parent (0) and the worker (1) */
const THREADS = 2;

function sab<T>(C: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T {
  return new C(new SharedArrayBuffer(Math.max(1, n) * C.BYTES_PER_ELEMENT));
}

export function allocShards(data: BinnedData, maxNodes: number, unitH: boolean): ShardArrays {
  const n = data.n;
  const lo = sab(Int32Array, SHARDS + 1);
  for (let s = 0; s <= SHARDS; s++) lo[s] = Math.round((s * n) / SHARDS);
  const slots = data.colOffset[data.nCols]!;
  const stride = unitH ? 2 : 3;
  const histLen = slots * stride;
  // live histograms of a level-wise tree: about one per node of the widest level, plus builds
  const nArena = Math.min(maxNodes + 2, 256);
  const colStart = sab(Int32Array, SHARDS + 1);
  // equal column counts: every column costs one update per row
  for (let p = 0; p <= SHARDS; p++) colStart[p] = Math.round((p * data.nCols) / SHARDS);
  // the memory the WebAssembly kernels work on, 64-byte aligned pieces
  const align = (x: number) => Math.ceil(x / 64) * 64;
  const arenaBytes = align((nArena + BATCH) * histLen * 8), h2Bytes = align(histLen * 8), tmpBytes = align(4 * n);
  const h2At = arenaBytes, gAt = h2At + THREADS * h2Bytes, hAt = gAt + align(8 * n);
  const rowsAt = hAt + (unitH ? 0 : align(8 * n)), tmpAt = rowsAt + align(4 * n);
  const colBinsAt = tmpAt + THREADS * tmpBytes, binsAt = colBinsAt + align(n * data.nCols);
  const bytes = binsAt + n * data.nCols;
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > 65536) throw new RangeError(`histogram boosting: ${n} rows x ${data.nCols} columns exceed the 4 GiB its kernels can address`);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const buf = memory.buffer as unknown as SharedArrayBuffer;
  new Uint8Array(buf, binsAt, n * data.nCols).set(data.bins);
  return {
    memory, rowsAt, colBinsAt, binsAt, gAt, hAt, tmpAt, tmpBytes, h2At, h2Bytes,
    rows: new Int32Array(buf, rowsAt, n), lo,
    segStart: sab(Int32Array, SHARDS * maxNodes), segEnd: sab(Int32Array, SHARDS * maxNodes), maxNodes,
    stride, arena: new Float64Array(buf, 0, (nArena + BATCH) * histLen), nArena, histLen, colStart,
    list: sab(Int32Array, BATCH * 5),
    g: new Float64Array(buf, gAt, n), h: unitH ? null : new Float64Array(buf, hAt, n),
    colBins: columnMajor(data, new Uint8Array(buf, colBinsAt, n * data.nCols)),
    rootCounts: sab(Float64Array, unitH ? histLen : 1), rootState: sab(Int32Array, 1),
  };
}

function columnMajor(data: BinnedData, out: Uint8Array): Uint8Array {
  const { n, nCols, bins } = data;
  for (let c = 0; c < nCols; c++) {
    const o = c * n;
    for (let i = 0, p = c; i < n; i++, p += nCols) out[o + i] = bins[p]!;
  }
  return out;
}

/** The per-thread work: histogram columns of a node, and stable partition of a block segment. */
export class ShardWorker {
  /** byte address of this thread's second histogram */
  private readonly h2At: number;
  private readonly part: PartitionKernels;
  readonly vec: VectorKernels;
  /** this thread's partition scratch (byte address) */
  private readonly tmpAt: number;
  private readonly layout: HistLayout;
  private readonly kern = new Map<number, HistKernels>();
  private readonly gOnly = new Map<number, HistKernels>();

  /** thread: 0 for the parent, 1 for the worker (each has its own scratch) */
  constructor(readonly data: BinnedData, readonly a: ShardArrays, thread: number) {
    this.part = partitionKernels(a.memory);
    this.vec = vectorKernels(a.memory);
    this.tmpAt = a.tmpAt + thread * a.tmpBytes;
    this.h2At = a.h2At + thread * a.h2Bytes;
    this.layout = { rowsAt: a.rowsAt, binsAt: a.binsAt, gAt: a.gAt, hAt: a.hAt, nCols: data.nCols };
  }

  /**
   * Executes a batched command on part p: BUILD takes (node, arena index) pairs from a.list and
   * builds column part p (p = -1: all columns in one pass); SPLIT partitions block p.
   */
  exec(cmd: number, p: number, count: number): void {
    const l = this.a.list;
    if (cmd === CMD.BUILD) {
      const c0 = p < 0 ? 0 : this.a.colStart[p]!, c1 = p < 0 ? this.data.nCols : this.a.colStart[p + 1]!;
      for (let j = 0; j < count; j++) this.build(l[2 * j]!, l[2 * j + 1]!, c0, c1);
    } else for (let j = 0; j < count; j++) this.split(p, l[5 * j]!, l[5 * j + 1]!, l[5 * j + 2]!, l[5 * j + 3]!, l[5 * j + 4]!);
  }

  /** Columns [c0, c1) of node's histogram into arena histogram `target` (overwritten). */
  build(node: number, target: number, c0: number, c1: number): void {
    const { colOffset } = this.data;
    const { histLen, stride, segStart, segEnd, maxNodes } = this.a;
    const p0 = colOffset[c0]! * stride, p1 = colOffset[c1]! * stride;
    const histAt = target * histLen * 8, h2At = this.h2At, vec = this.vec;
    vec.zero(histAt + 8 * p0, p1 - p0);
    let total = 0;
    for (let s = 0; s < SHARDS; s++) total += segEnd[s * maxNodes + node]! - segStart[s * maxNodes + node]!;
    // large nodes: rows at even positions go to hist, odd ones to h2 (summed at the end).
    // Consecutive rows often hit the same slot, and one accumulator would make each add wait
    // for the previous store to that slot. The parity is by position, whoever runs it.
    const dual = total >= DUAL_ROWS;
    if (dual) vec.zero(h2At + 8 * p0, p1 - p0);
    // the root's counts are known after the first tree (see rootCounts): add gradients only
    const knownCounts = node === 0 && stride === 2 && this.a.rootState[0] === 1;
    const kern = this.kernels(c0, c1, !knownCounts);
    let parity = 0;
    for (let s = 0; s < SHARDS; s++) {
      const k0 = segStart[s * maxNodes + node]!, k1 = segEnd[s * maxNodes + node]!;
      if (k0 === k1) continue;
      if (!dual) { kern.rows(histAt, k0, k1); continue; }
      // keep the global even/odd alternation across the block boundary
      let k = k0;
      if (parity === 1) { kern.rows(h2At, k, k + 1); k++; }
      const m = k1 - k;
      kern.pairs(histAt, h2At, k, k + (m & ~1));
      if (m & 1) kern.rows(histAt, k1 - 1, k1);
      parity = (parity + (k1 - k0)) & 1;
    }
    if (dual) vec.add(histAt + 8 * p0, h2At + 8 * p0, p1 - p0);
    if (knownCounts) {
      const hist = this.a.arena, rc = this.a.rootCounts, o = target * histLen;
      for (let q = p0 + 1; q < p1; q += 2) hist[o + q] = rc[q]!;
    }
  }

  /** the generated kernels of a column range (see shard-wasm.ts) */
  private kernels(c0: number, c1: number, counts: boolean): HistKernels {
    const key = c0 * 65536 + c1, m = counts ? this.kern : this.gOnly;
    let k = m.get(key);
    if (!k) {
      k = histKernels(this.a.memory, this.layout, this.data.colOffset, c0, c1, this.a.stride as 2 | 3, counts);
      m.set(key, k);
    }
    return k;
  }

  split(s: number, node: number, f: number, bin: number, left: number, right: number): void {
    const { n, featCol, featCode } = this.data;
    const { segStart, segEnd, maxNodes, rowsAt, colBinsAt } = this.a;
    const code = featCode[f]!, cb = colBinsAt + featCol[f]! * n;
    const a = segStart[s * maxNodes + node]!, b = segEnd[s * maxNodes + node]!;
    const w = code === 0 ? this.part.pnum(rowsAt, this.tmpAt, cb, a, b, bin) : this.part.pbun(rowsAt, this.tmpAt, cb, a, b, code);
    segStart[s * maxNodes + left] = a; segEnd[s * maxNodes + left] = w;
    segStart[s * maxNodes + right] = w; segEnd[s * maxNodes + right] = b;
  }
}

// control block of the boosting worker (Int32Array on a SharedArrayBuffer)
export const CTL = { SEQ: 0, CMD: 1, NODE: 2, DONE: 7, READY: 8, INIT: 9, SIZE: 16 } as const;
export const CMD = { BUILD: 1, SPLIT: 2, STOP: 3 } as const;

/**
 * The parent's side: runs each batched command, handing the parts >= `first` to the worker
 * thread once it is up (before that, or with one thread, it runs them all).
 */
export class ShardedRows {
  private readonly local: ShardWorker;
  private readonly ctl: Int32Array;
  private seq = 0;
  private parallel = false;
  /** trees grown with the worker's help (a diagnostic: the model is the same either way) */
  parallelTrees = 0;
  private readonly first = 1;
  // tree timing for beginTree(): start of the current tree, average ms per tree [serial, parallel]
  private lastStart = -1;
  private readonly recent: number[][] = [[], []];
  private sinceUp = 0;
  private preferParallel = true;
  /** arena histograms handed out so far (the grower recycles them in its own pool) */
  private handed = 0;
  /** histogram slots per bin, for the grower */
  readonly histStride: number;
  /** every tree's root holds all rows (no subsampling): its counts are cached after the first */
  fixedRoot = false;

  constructor(readonly data: BinnedData, readonly arrays: ShardArrays, private readonly worker: { terminate(): unknown } | null, ctl: Int32Array | null) {
    this.local = new ShardWorker(data, arrays, 0);
    this.ctl = ctl ?? new Int32Array(CTL.SIZE);
    this.histStride = arrays.stride;
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

  /**
   * Called between trees: decides whether the next tree uses the worker. On a shared, loaded
   * machine a second thread can cost more in waiting than it saves, so once the worker is up
   * the trees are timed both ways (a few alternating probe trees, again every PROBE_EVERY
   * trees) and the faster way is kept. The model is the same either way; only speed changes.
   * `force`: always use the worker when it is up (an explicit thread count).
   */
  beginTree(force = false): void {
    const now = performance.now();
    if (this.lastStart >= 0) {
      const dt = now - this.lastStart;
      // the last RECENT tree times per mode; their median shrugs off a tree that lost the CPU
      const r = this.recent[this.parallel ? 1 : 0]!;
      r.push(dt);
      if (r.length > RECENT) r.shift();
    }
    this.lastStart = now;
    const up = this.worker !== null && Atomics.load(this.ctl, CTL.READY) === 1;
    if (!up) this.parallel = false;
    else if (force) this.parallel = true;
    else {
      this.sinceUp++;
      if (this.sinceUp <= 2 * PROBE) this.parallel = (this.sinceUp & 1) === 1;
      else if (this.sinceUp % PROBE_EVERY < 2) this.parallel = !this.preferParallel;
      else {
        this.preferParallel = median(this.recent[1]!) < median(this.recent[0]!);
        this.parallel = this.preferParallel;
      }
    }
    if (this.parallel) this.parallelTrees++;
  }

  /** into -= h, element-wise (histogram subtraction; arena histograms in WebAssembly) */
  subtract(into: Float64Array, h: Float64Array): void {
    const arena = this.arrays.arena, end = arena.byteOffset + arena.byteLength;
    if (into.buffer === arena.buffer && h.buffer === arena.buffer && into.byteOffset < end && h.byteOffset < end) {
      this.local.vec.sub(into.byteOffset, h.byteOffset, into.length);
    } else for (let s = 0; s < into.length; s++) into[s] -= h[s]!;
  }

  /** A histogram buffer for the grower: in the shared arena while it lasts (built in place). */
  newHist(): Float64Array {
    const { arena, histLen, nArena } = this.arrays;
    if (this.handed < nArena) { const k = this.handed++; return arena.subarray(k * histLen, (k + 1) * histLen); }
    return new Float64Array(histLen);
  }

  private run(cmd: number, count: number): void {
    if (!this.parallel) {
      if (cmd === CMD.BUILD) this.local.exec(cmd, -1, count);
      else for (let s = 0; s < SHARDS; s++) this.local.exec(cmd, s, count);
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
    const { list, arena, histLen, nArena } = this.arrays;
    const bytes = histLen * 8;
    for (let c0 = 0; c0 < nodes.length; c0 += BATCH) {
      const count = Math.min(BATCH, nodes.length - c0);
      for (let j = 0; j < count; j++) {
        const h = out[c0 + j]!;
        // arena histograms are built in place, others in a scratch slot and copied
        const inArena = h.buffer === arena.buffer && h.byteOffset < arena.byteOffset + arena.byteLength;
        list[2 * j] = nodes[c0 + j]!; list[2 * j + 1] = inArena ? (h.byteOffset - arena.byteOffset) / bytes : nArena + j;
      }
      this.run(CMD.BUILD, count);
      if (this.fixedRoot && this.arrays.rootState[0] === 0 && this.arrays.stride === 2) {
        for (let j = 0; j < count; j++) {
          if (nodes[c0 + j] !== 0) continue;
          const rh = arena.subarray(list[2 * j + 1]! * histLen, (list[2 * j + 1]! + 1) * histLen), rc = this.arrays.rootCounts;
          for (let q = 1; q < histLen; q += 2) rc[q] = rh[q]!;
          this.arrays.rootState[0] = 1;
        }
      }
      for (let j = 0; j < count; j++) {
        const h = out[c0 + j]!;
        if (h.buffer !== arena.buffer) h.set(arena.subarray((nArena + j) * histLen, (nArena + j + 1) * histLen));
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
    ShardedRows.stop(this.ctl, ++this.seq);
    void this.worker.terminate();
  }

  /** Ends the worker's session, whether it is running, starting, or still waiting for its data. */
  static stop(ctl: Int32Array, seq = Atomics.load(ctl, CTL.SEQ) + 1): void {
    Atomics.store(ctl, CTL.CMD, CMD.STOP);
    Atomics.store(ctl, CTL.SEQ, seq);
    Atomics.notify(ctl, CTL.SEQ);
    Atomics.notify(ctl, CTL.INIT);
  }
}
