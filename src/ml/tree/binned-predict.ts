// One-row prediction of a single-output forest over byte codes and 4-byte nodes packed into
// cache lines. A walk down a large forest is bound by memory latency (a fully grown 100-tree
// forest is millions of nodes), so what counts is how many cache lines a walk touches.
//
// Codes: every threshold of feature f is one of the forest's distinct thresholds T_f (sorted), so
// a row is coded once, code(x) = #{t in T_f : t < x} (NaN: past all), and "x <= T_f[k]" is
// exactly "code(x) <= k": the leaf reached is the float walk's, bit for bit. Histogram-trained
// trees have at most 255 bin edges per feature, so a code is a byte.
//
// Nodes: one int32 each.
//   internal: bits 0-7 k, then the feature, then (bits DS..30) the distance to its children,
//             which sit side by side (left, right): the next node is children + (code > k).
//   leaf:     ~index into the forest's distinct leaf values (few: regression leaves are means of
//             a handful of targets), so the values read at the leaves stay in cache.
// Layout: each tree is cut into blocks of at most 16 nodes (one 64-byte line): a block starts at
// a child pair (or the root) and takes, best-first by subtree size (the likelier branch), the
// child pairs of its nodes while they fit; a block never straddles a line (the buffer is a
// WebAssembly memory, page-aligned). A walk of depth ~20 then touches ~6 lines instead of ~20.
// Forests that do not fit these fields (more than 255 thresholds on a feature, too many
// features for the bits left, multi-output leaves) get null from compileBinned.
import type { FlatTree, TreeEnsemble } from '../core/tree-model.ts';
import { instantiateWalk, LANES } from './wasm-walk.ts';

export interface BinnedForest {
  /** sum over trees of the leaf values, in the float walk's order: groups of four, then singles */
  sumRow(x: ArrayLike<number>): number;
}

const LINE = 16;

function bitsFor(n: number): number {
  let b = 1;
  while ((1 << b) < n) b++;
  return b;
}

export function subtreeSizes(t: FlatTree): Int32Array {
  const n = t.feature.length;
  const size = new Int32Array(n);
  const order: number[] = [0];
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (t.feature[i]! >= 0) order.push(t.left[i]!, t.right[i]!);
  }
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k]!;
    size[i] = t.feature[i]! >= 0 ? 1 + size[t.left[i]!]! + size[t.right[i]!]! : 1;
  }
  return size;
}

/** Per feature, the distinct thresholds used by the forest (ascending), or null past 255 on one. */
function thresholdTable(e: TreeEnsemble): { thr: Float64Array; off: Int32Array } | null {
  const nF = e.nFeatures;
  const sets: number[][] = Array.from({ length: nF }, () => []);
  for (const t of e.trees) {
    for (let i = 0; i < t.feature.length; i++) {
      const f = t.feature[i]!;
      if (f < 0) continue;
      const v = t.threshold[i]!;
      if (f >= nF || Number.isNaN(v)) return null;
      sets[f]!.push(v);
    }
  }
  const off = new Int32Array(nF + 1);
  const uniq: Float64Array[] = [];
  for (let f = 0; f < nF; f++) {
    const s = Float64Array.from(sets[f]!).sort();
    let m = 0;
    // -0 and 0 are one threshold (x <= -0 iff x <= 0)
    for (let i = 0; i < s.length; i++) if (m === 0 || s[i]! !== s[m - 1]!) s[m++] = s[i]!;
    if (m > 255) return null;
    uniq.push(s.subarray(0, m));
    off[f + 1] = off[f]! + m;
  }
  const thr = new Float64Array(off[nF]!);
  uniq.forEach((u, f) => thr.set(u, off[f]!));
  return { thr, off };
}

/** The nodes at the start of a (page-aligned) WebAssembly memory with room for the walk's
 * codes, roots and outputs after them; a plain array when WebAssembly is unavailable. */
function nodeMemory(nSlots: number, nF: number, nTrees: number): { nodes: Int32Array; memory: WebAssembly.Memory | null } {
  const bytes = 4 * nSlots + nF + 16 + 8 * (nTrees + LANES);
  try {
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
    return { nodes: new Int32Array(memory.buffer, 0, nSlots), memory };
  } catch {
    return { nodes: new Int32Array(nSlots), memory: null };
  }
}

export function compileBinned(e: TreeEnsemble): BinnedForest | null {
  const nF = e.nFeatures;
  if (!e.trees.length || e.trees.some((t) => t.nOutputs !== 1)) return null;
  const table = thresholdTable(e);
  if (!table) return null;
  const { thr, off } = table;
  const kOf = (f: number, v: number): number => {
    let lo = off[f]!, hi = off[f + 1]!;
    while (lo < hi) { const m = (lo + hi) >> 1; if (thr[m]! < v) lo = m + 1; else hi = m; }
    return lo - off[f]!;
  };
  const FB = bitsFor(nF);
  const DS = 8 + FB;
  if (DS > 28) return null;
  const maxDelta = 2 ** (31 - DS) - 1;

  const valIndex = new Map<number, number>();
  const vals: number[] = [];
  let negZero = -1;
  const leafIndex = (v: number): number => {
    if (v === 0 && 1 / v < 0) { if (negZero < 0) { negZero = vals.length; vals.push(-0); } return negZero; }
    let k = valIndex.get(v);
    if (k === undefined) { k = vals.length; vals.push(v); valIndex.set(v, k); }
    return k;
  };

  // pass 1: node order (tree node ids by slot, -1 for padding); pass 2: encode
  let order = new Int32Array(1024);
  let len = 0;
  const push = (v: number): void => {
    if (len === order.length) { const o = new Int32Array(order.length * 2); o.set(order); order = o; }
    order[len++] = v;
  };
  const roots = new Int32Array(e.trees.length);
  const treeEnd = new Int32Array(e.trees.length);
  const posOfTree: Int32Array[] = [];
  for (let ti = 0; ti < e.trees.length; ti++) {
    const t = e.trees[ti]!;
    const size = subtreeSizes(t);
    while (len % LINE) push(-1);
    roots[ti] = len;
    const posOf = new Int32Array(t.feature.length).fill(-1);
    const heads: number[] = [0, -1]; // pairs (a, b); b = -1 for the root alone
    const members: number[] = [], cand: number[] = [], open: number[] = [];
    while (heads.length) {
      const hb = heads.pop()!, ha = heads.pop()!;
      members.length = 0; cand.length = 0; open.length = 0;
      members.push(ha); if (t.feature[ha]! >= 0) cand.push(ha);
      if (hb >= 0) { members.push(hb); if (t.feature[hb]! >= 0) cand.push(hb); }
      while (cand.length) {
        let bi = 0;
        for (let j = 1; j < cand.length; j++) if (size[cand[j]!]! > size[cand[bi]!]!) bi = j;
        const n = cand[bi]!;
        cand[bi] = cand[cand.length - 1]!; cand.pop();
        if (members.length + 2 > LINE) { open.push(n); continue; }
        const l = t.left[n]!, r = t.right[n]!;
        members.push(l, r);
        if (t.feature[l]! >= 0) cand.push(l);
        if (t.feature[r]! >= 0) cand.push(r);
      }
      if ((len % LINE) + members.length > LINE) while (len % LINE) push(-1);
      for (const n of members) { posOf[n] = len; push(n); }
      // the children of open nodes start new blocks, the biggest laid out next (pushed last)
      open.sort((a, b) => size[a]! - size[b]!);
      for (const n of open) heads.push(t.left[n]!, t.right[n]!);
    }
    treeEnd[ti] = len;
    posOfTree.push(posOf);
  }
  push(-1); // a leaf (value 0) for the wasm walk's padding trees
  const { nodes, memory } = nodeMemory(len, nF, e.trees.length);
  for (let ti = 0; ti < e.trees.length; ti++) {
    const t = e.trees[ti]!, posOf = posOfTree[ti]!;
    for (let p = roots[ti]!; p < treeEnd[ti]!; p++) {
      const i = order[p]!;
      if (i < 0) continue;
      const f = t.feature[i]!;
      if (f < 0) { nodes[p] = ~leafIndex(t.value[i]!); continue; }
      const delta = posOf[t.left[i]!]! - p;
      if (delta > maxDelta) return null;
      nodes[p] = kOf(f, t.threshold[i]!) | (f << 8) | (delta << DS);
    }
  }
  nodes[len - 1] = ~leafIndex(0);
  const walker = memory ? wasmWalker(memory, len, nF, roots, (1 << FB) - 1, DS) : null;
  return new Binned(nodes, roots, Float64Array.from(vals), thr, off, nF, FB, DS, walker);
}

interface Walker { codes: Uint8Array; out: Int32Array; walk: () => void }

function wasmWalker(memory: WebAssembly.Memory, nSlots: number, nF: number, roots: Int32Array, FM: number, DS: number): Walker | null {
  const codes = 4 * nSlots, rootsAt = (codes + nF + 15) & ~15;
  const nGroups = Math.ceil(roots.length / LANES);
  const out = rootsAt + 4 * LANES * nGroups;
  const r = new Int32Array(memory.buffer, rootsAt, LANES * nGroups);
  r.fill(4 * (nSlots - 1));
  for (let t = 0; t < roots.length; t++) r[t] = 4 * roots[t]!;
  try {
    const walk = instantiateWalk({ codes, roots: rootsAt, out, nGroups, pages: memory.buffer.byteLength / 65536, FM, DS }, memory);
    return { codes: new Uint8Array(memory.buffer, codes, nF), out: new Int32Array(memory.buffer, out, LANES * nGroups), walk };
  } catch {
    return null;
  }
}

class Binned implements BinnedForest {
  /** the row's codes, reused (one walk at a time) */
  private readonly codes: Uint8Array;
  private readonly FM: number;

  constructor(
    private readonly nodes: Int32Array,
    private readonly roots: Int32Array,
    private readonly vals: Float64Array,
    private readonly thr: Float64Array,
    private readonly off: Int32Array,
    private readonly nF: number,
    FB: number,
    private readonly DS: number,
    private readonly walker: Walker | null,
  ) {
    this.codes = walker ? walker.codes : new Uint8Array(nF);
    this.FM = (1 << FB) - 1;
  }

  private code(x: ArrayLike<number>): Uint8Array {
    const { thr, off, nF, codes } = this;
    for (let f = 0; f < nF; f++) {
      const o = off[f]!;
      let lo = o, hi = off[f + 1]!;
      if (lo === hi) continue;
      const v = x[f]!;
      // first threshold >= v; NaN compares false and lands past all (the float walk goes right)
      while (lo < hi) { const m = (lo + hi) >> 1; if (thr[m]! >= v) hi = m; else lo = m + 1; }
      codes[f] = lo - o;
    }
    return codes;
  }

  sumRow(x: ArrayLike<number>): number {
    const w = this.walker;
    if (!w) return this.sumRowJs(x);
    this.code(x);
    w.walk();
    const { out: O, vals: V } = this;
    const n = this.roots.length;
    let s = 0, t = 0;
    for (; t + 4 <= n; t += 4) s += V[~O[t]!]! + V[~O[t + 1]!]! + V[~O[t + 2]!]! + V[~O[t + 3]!]!;
    for (; t < n; t++) s += V[~O[t]!]!;
    return s;
  }

  private get out(): Int32Array { return this.walker!.out; }

  /** the same walk in JavaScript (no WebAssembly) */
  sumRowJs(x: ArrayLike<number>): number {
    const C = this.code(x);
    const { nodes: N, roots, vals: V, FM, DS } = this;
    let s = 0, t = 0;
    // eight walks in lock-step so their cache misses overlap; the step is branch-free
    // ((k - code) >>> 31 is 1 when code > k); sums are added in groups of four, as the float walk does
    for (; t + 8 <= roots.length; t += 8) {
      let a = roots[t]!, b = roots[t + 1]!, c = roots[t + 2]!, d = roots[t + 3]!;
      let e = roots[t + 4]!, f = roots[t + 5]!, g = roots[t + 6]!, h = roots[t + 7]!;
      let wa = N[a]!, wb = N[b]!, wc = N[c]!, wd = N[d]!, we = N[e]!, wf = N[f]!, wg = N[g]!, wh = N[h]!;
      while ((wa & wb & wc & wd & we & wf & wg & wh) >= 0) {
        if (wa >= 0) { a += (wa >> DS) + (((wa & 255) - C[(wa >> 8) & FM]!) >>> 31); wa = N[a]!; }
        if (wb >= 0) { b += (wb >> DS) + (((wb & 255) - C[(wb >> 8) & FM]!) >>> 31); wb = N[b]!; }
        if (wc >= 0) { c += (wc >> DS) + (((wc & 255) - C[(wc >> 8) & FM]!) >>> 31); wc = N[c]!; }
        if (wd >= 0) { d += (wd >> DS) + (((wd & 255) - C[(wd >> 8) & FM]!) >>> 31); wd = N[d]!; }
        if (we >= 0) { e += (we >> DS) + (((we & 255) - C[(we >> 8) & FM]!) >>> 31); we = N[e]!; }
        if (wf >= 0) { f += (wf >> DS) + (((wf & 255) - C[(wf >> 8) & FM]!) >>> 31); wf = N[f]!; }
        if (wg >= 0) { g += (wg >> DS) + (((wg & 255) - C[(wg >> 8) & FM]!) >>> 31); wg = N[g]!; }
        if (wh >= 0) { h += (wh >> DS) + (((wh & 255) - C[(wh >> 8) & FM]!) >>> 31); wh = N[h]!; }
      }
      s += V[~wa]! + V[~wb]! + V[~wc]! + V[~wd]!;
      s += V[~we]! + V[~wf]! + V[~wg]! + V[~wh]!;
    }
    for (; t + 4 <= roots.length; t += 4) {
      let a = roots[t]!, b = roots[t + 1]!, c = roots[t + 2]!, d = roots[t + 3]!;
      let wa = N[a]!, wb = N[b]!, wc = N[c]!, wd = N[d]!;
      while ((wa & wb & wc & wd) >= 0) {
        if (wa >= 0) { a += (wa >> DS) + (((wa & 255) - C[(wa >> 8) & FM]!) >>> 31); wa = N[a]!; }
        if (wb >= 0) { b += (wb >> DS) + (((wb & 255) - C[(wb >> 8) & FM]!) >>> 31); wb = N[b]!; }
        if (wc >= 0) { c += (wc >> DS) + (((wc & 255) - C[(wc >> 8) & FM]!) >>> 31); wc = N[c]!; }
        if (wd >= 0) { d += (wd >> DS) + (((wd & 255) - C[(wd >> 8) & FM]!) >>> 31); wd = N[d]!; }
      }
      s += V[~wa]! + V[~wb]! + V[~wc]! + V[~wd]!;
    }
    for (; t < roots.length; t++) {
      let i = roots[t]!, w: number;
      while ((w = N[i]!) >= 0) i += (w >> DS) + (((w & 255) - C[(w >> 8) & FM]!) >>> 31);
      s += V[~w]!;
    }
    return s;
  }
}
