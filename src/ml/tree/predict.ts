// Fast prediction for tree ensembles. One row of a single-output model goes through the byte-coded,
// cache-line-packed form of binned-predict.ts when the forest fits it; batches, multi-output
// models and forests that do not fit use the float walk below, which gives the same values.
//
// The float walk: every tree is renumbered in pre-order and concatenated
// into one buffer of 16-byte nodes (threshold f64, feature i32, far child i32); the near child
// is always the next node, so a step down the tree touches one cache line: large forests
// do not fit in cache, and a walk is bound by memory latency, not arithmetic. Leaves keep their
// value in the threshold slot when the model has one output, or an index into `vals` otherwise.
import type { FlatTree, TreeEnsemble } from '../core/tree-model.ts';
import type { Matrix } from '../core/matrix.ts';
import { compileBinned, subtreeSizes, type BinnedForest } from './binned-predict.ts';

/** set in a node's feature word when its near (next) node is the right child */
const FLIP = 0x40000000;
const FEAT = 0x3fffffff;

/**
 * One-row calls served by the float walk before the byte-coded form is built: building it costs
 * about as much as a few thousand walks of a large forest, which a model predicting a handful of
 * rows (a backtest, a CLI call) never earns back; a model serving requests does at once.
 */
const BINNED_AFTER = 256;

/**
 * A model's first FEW_CALLS batches walk the trees as they are when the batch has at most
 * FEW_ROWS rows or the forest at most SMALL_FOREST nodes: laying out the float form costs about
 * as much as walking a few dozen rows, which a model that predicts one row and is dropped (a
 * backtest fold) never earns back, and on a forest that fits in cache it saves little, while its
 * first run of code costs more than the walk (~50 ms for one batch of 3,370 rows through 30
 * trees). A model that goes on predicting gets the float form (one cache line per step).
 */
const FEW_ROWS = 8;
const FEW_CALLS = 16;
const SMALL_FOREST = 1 << 14;

export class CompiledEnsemble {
  readonly nOutputs: number;
  readonly nFeatures: number;
  /** the byte-coded form: undefined until built, null when this forest does not fit it */
  private binned: BinnedForest | null | undefined;
  /** one-row calls answered by the float walk so far (see BINNED_AFTER) */
  private rowCalls = 0;
  /** batches walked on the trees as they are so far (see FEW_ROWS) */
  private fewCalls = 0;
  private nNodes = -1;
  private floatWalk: FloatEnsemble | null = null;
  private readonly base0: number;
  private readonly scale: number;
  private readonly post: TreeEnsemble['postTransform'];

  constructor(private readonly e: TreeEnsemble) {
    this.nOutputs = e.trees.length ? e.trees[0]!.nOutputs : e.base.length;
    this.nFeatures = e.nFeatures;
    this.binned = this.nOutputs === 1 ? undefined : null;
    this.base0 = e.base.length ? e.base[0]! : 0;
    this.scale = e.aggregate === 'average' && e.trees.length ? 1 / e.trees.length : 1;
    this.post = e.postTransform;
  }

  private nodes(): number {
    if (this.nNodes < 0) { let s = 0; for (const t of this.e.trees) s += t.feature.length; this.nNodes = s; }
    return this.nNodes;
  }

  /** the float form, built on first use (batches, multi-output, forests binned-predict cannot code) */
  private float(): FloatEnsemble {
    return this.floatWalk ??= new FloatEnsemble(this.e);
  }

  /** Raw single-output prediction of one row (regression value, or the probability of a binary model). */
  /** Builds the one-row form now (a server calls this at load; see BINNED_AFTER otherwise). */
  prepareRows(): void {
    if (this.binned === undefined) this.binned = compileBinned(this.e);
  }

  predictRow(x: ArrayLike<number>): number {
    if (this.binned === undefined && ++this.rowCalls > BINNED_AFTER) this.prepareRows();
    if (!this.binned) return this.float().predictRow(x);
    const v = this.base0 + this.binned.sumRow(x) * this.scale;
    return this.post === 'logistic' ? 1 / (1 + Math.exp(-v)) : v;
  }

  /** All outputs of one row after the post transform (probabilities for classifiers). */
  predictRowInto(x: ArrayLike<number>, out: Float64Array): Float64Array {
    if (this.nOutputs === 1) { out[0] = this.predictRow(x); return out; }
    return this.float().predictRowInto(x, out);
  }

  /** rows x nOutputs after the post transform. */
  predictMatrix(X: Matrix): Float64Array {
    if (!this.floatWalk && this.fewCalls < FEW_CALLS && (X.rows <= FEW_ROWS || this.nodes() <= SMALL_FOREST)) {
      this.fewCalls++;
      return walkTrees(this.e, X);
    }
    return this.float().predictMatrix(X);
  }
}

class FloatEnsemble {
  readonly nOutputs: number;
  readonly nFeatures: number;
  /** node i: thr at f64[2i], feature at i32[4i + 2] (-1 for a leaf), right child at i32[4i + 3] */
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly vals: Float64Array;
  private readonly roots: Int32Array;
  private readonly base: Float64Array;
  private readonly scale: number;
  private readonly post: TreeEnsemble['postTransform'];

  constructor(e: TreeEnsemble) {
    const nOut = e.trees.length ? e.trees[0]!.nOutputs : e.base.length;
    this.nOutputs = nOut;
    this.nFeatures = e.nFeatures;
    let total = 0;
    for (const t of e.trees) total += t.feature.length;
    const buf = new ArrayBuffer(total * 16);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    this.vals = new Float64Array(nOut > 1 ? total * nOut : 0);
    this.roots = new Int32Array(e.trees.length);
    let pos = 0, nv = 0;
    const stack: number[] = [];
    e.trees.forEach((t, ti) => {
      this.roots[ti] = pos;
      const size = subtreeSizes(t);
      // iterative pre-order, the bigger child first: it is the likelier branch (a fully grown
      // tree's subtree size follows its sample count), so most steps land on the next node,
      // which is usually in the same cache line. The far child is patched once laid out.
      const fix: number[] = [];
      stack.length = 0; stack.push(0);
      const slotOf = new Int32Array(t.feature.length);
      while (stack.length) {
        const i = stack.pop()!;
        const me = pos++;
        slotOf[i] = me;
        const f = t.feature[i]!;
        if (f >= 0) {
          const l = t.left[i]!, r = t.right[i]!;
          const rightNear = size[r]! > size[l]!;
          this.i32[4 * me + 2] = rightNear ? f | FLIP : f;
          this.f64[2 * me] = t.threshold[i]!;
          const near = rightNear ? r : l, far = rightNear ? l : r;
          fix.push(me, far);
          stack.push(far, near);
        } else {
          this.i32[4 * me + 2] = -1;
          if (nOut === 1) this.f64[2 * me] = t.value[i]!;
          else {
            this.i32[4 * me + 3] = nv;
            for (let k = 0; k < nOut; k++) this.vals[nv++] = t.value[i * nOut + k]!;
          }
        }
      }
      for (let k = 0; k < fix.length; k += 2) this.i32[4 * fix[k]! + 3] = slotOf[fix[k + 1]!]!;
    });
    this.base = Float64Array.from(e.base.length ? e.base : new Array(nOut).fill(0));
    this.scale = e.aggregate === 'average' && e.trees.length ? 1 / e.trees.length : 1;
    this.post = e.postTransform;
  }

  /** Raw single-output prediction of one row (regression value, or the logit of a binary model). */
  predictRow(x: ArrayLike<number>): number {
    const { f64, i32, roots } = this;
    let s = 0, t = 0;
    // four walks in lock-step: their cache misses overlap instead of queueing one behind another
    for (; t + 4 <= roots.length; t += 4) {
      let a = roots[t]!, b = roots[t + 1]!, c = roots[t + 2]!, d = roots[t + 3]!;
      let fa = i32[4 * a + 2]!, fb = i32[4 * b + 2]!, fc = i32[4 * c + 2]!, fd = i32[4 * d + 2]!;
      while ((fa & fb & fc & fd) >= 0) {
        if (fa >= 0) { a = (x[(fa & FEAT)]! <= f64[2 * a]!) !== fa >= FLIP ? a + 1 : i32[4 * a + 3]!; fa = i32[4 * a + 2]!; }
        if (fb >= 0) { b = (x[(fb & FEAT)]! <= f64[2 * b]!) !== fb >= FLIP ? b + 1 : i32[4 * b + 3]!; fb = i32[4 * b + 2]!; }
        if (fc >= 0) { c = (x[(fc & FEAT)]! <= f64[2 * c]!) !== fc >= FLIP ? c + 1 : i32[4 * c + 3]!; fc = i32[4 * c + 2]!; }
        if (fd >= 0) { d = (x[(fd & FEAT)]! <= f64[2 * d]!) !== fd >= FLIP ? d + 1 : i32[4 * d + 3]!; fd = i32[4 * d + 2]!; }
      }
      s += f64[2 * a]! + f64[2 * b]! + f64[2 * c]! + f64[2 * d]!;
    }
    for (; t < roots.length; t++) {
      let i = roots[t]!, f: number;
      while ((f = i32[4 * i + 2]!) >= 0) i = (x[(f & FEAT)]! <= f64[2 * i]!) !== f >= FLIP ? i + 1 : i32[4 * i + 3]!;
      s += f64[2 * i]!;
    }
    const v = this.base[0]! + s * this.scale;
    return this.post === 'logistic' ? 1 / (1 + Math.exp(-v)) : v;
  }

  /** All outputs of one row after the post transform (probabilities for classifiers). */
  predictRowInto(x: ArrayLike<number>, out: Float64Array): Float64Array {
    const { f64, i32, roots, vals, nOutputs: K } = this;
    if (K === 1) { out[0] = this.predictRow(x); return out; }
    out.fill(0);
    for (let t = 0; t < roots.length; t++) {
      let i = roots[t]!, f: number;
      while ((f = i32[4 * i + 2]!) >= 0) i = (x[(f & FEAT)]! <= f64[2 * i]!) !== f >= FLIP ? i + 1 : i32[4 * i + 3]!;
      const o = i32[4 * i + 3]!;
      for (let k = 0; k < K; k++) out[k] += vals[o + k]!;
    }
    for (let k = 0; k < K; k++) out[k] = this.base[k]! + out[k]! * this.scale;
    if (this.post === 'softmax') softmaxInPlace(out, 0, K);
    return out;
  }

  /** rows x nOutputs after the post transform; tree-major so each tree stays in cache. */
  predictMatrix(X: Matrix): Float64Array {
    const { f64, i32, roots, vals, nOutputs: K } = this;
    const { rows: n, cols: d, data } = X;
    const out = new Float64Array(n * K);
    const BLOCK = 4096;
    for (let r0 = 0; r0 < n; r0 += BLOCK) {
      const r1 = Math.min(n, r0 + BLOCK);
      let t = 0;
      if (K === 1) {
        // same four-tree groups and summation order as predictRow, so both give identical values
        for (; t + 4 <= roots.length; t += 4) {
          const ra = roots[t]!, rb = roots[t + 1]!, rc = roots[t + 2]!, rd = roots[t + 3]!;
          for (let r = r0; r < r1; r++) {
            const o = r * d;
            let a = ra, b = rb, c = rc, e = rd;
            let fa = i32[4 * a + 2]!, fb = i32[4 * b + 2]!, fc = i32[4 * c + 2]!, fe = i32[4 * e + 2]!;
            while ((fa & fb & fc & fe) >= 0) {
              if (fa >= 0) { a = (data[o + (fa & FEAT)]! <= f64[2 * a]!) !== fa >= FLIP ? a + 1 : i32[4 * a + 3]!; fa = i32[4 * a + 2]!; }
              if (fb >= 0) { b = (data[o + (fb & FEAT)]! <= f64[2 * b]!) !== fb >= FLIP ? b + 1 : i32[4 * b + 3]!; fb = i32[4 * b + 2]!; }
              if (fc >= 0) { c = (data[o + (fc & FEAT)]! <= f64[2 * c]!) !== fc >= FLIP ? c + 1 : i32[4 * c + 3]!; fc = i32[4 * c + 2]!; }
              if (fe >= 0) { e = (data[o + (fe & FEAT)]! <= f64[2 * e]!) !== fe >= FLIP ? e + 1 : i32[4 * e + 3]!; fe = i32[4 * e + 2]!; }
            }
            out[r] += f64[2 * a]! + f64[2 * b]! + f64[2 * c]! + f64[2 * e]!;
          }
        }
      }
      for (; t < roots.length; t++) {
        const root = roots[t]!;
        for (let r = r0; r < r1; r++) {
          const o = r * d;
          let i = root, f: number;
          while ((f = i32[4 * i + 2]!) >= 0) i = (data[o + (f & FEAT)]! <= f64[2 * i]!) !== f >= FLIP ? i + 1 : i32[4 * i + 3]!;
          if (K === 1) out[r] += f64[2 * i]!;
          else { const v = i32[4 * i + 3]!; for (let k = 0; k < K; k++) out[r * K + k] += vals[v + k]!; }
        }
      }
    }
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < K; k++) out[r * K + k] = this.base[k]! + out[r * K + k]! * this.scale;
      if (this.post === 'softmax') softmaxInPlace(out, r * K, K);
      else if (this.post === 'logistic') out[r] = 1 / (1 + Math.exp(-out[r]!));
    }
    return out;
  }
}

/** FloatEnsemble.predictMatrix on the trees as they are: the same sums in the same order (four-tree groups for one output), so the same values. */
function walkTrees(e: TreeEnsemble, X: Matrix): Float64Array {
  const K = e.trees.length ? e.trees[0]!.nOutputs : e.base.length;
  const { rows: n, cols: d, data } = X, trees = e.trees, T = trees.length;
  const out = new Float64Array(n * K);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    let t = 0;
    if (K === 1) {
      for (; t + 4 <= T; t += 4) {
        const a = trees[t]!, b = trees[t + 1]!, c = trees[t + 2]!, g = trees[t + 3]!;
        out[r] += a.value[leafOf(a, data, o)]! + b.value[leafOf(b, data, o)]! + c.value[leafOf(c, data, o)]! + g.value[leafOf(g, data, o)]!;
      }
    }
    for (; t < T; t++) {
      const i = leafOf(trees[t]!, data, o), v = trees[t]!.value;
      for (let k = 0; k < K; k++) out[r * K + k] += v[i * K + k]!;
    }
  }
  const scale = e.aggregate === 'average' && T ? 1 / T : 1;
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < K; k++) out[r * K + k] = (e.base.length ? e.base[k]! : 0) + out[r * K + k]! * scale;
    if (e.postTransform === 'softmax') softmaxInPlace(out, r * K, K);
    else if (e.postTransform === 'logistic') out[r] = 1 / (1 + Math.exp(-out[r]!));
  }
  return out;
}

function leafOf(t: FlatTree, x: Float64Array, o: number): number {
  const f = t.feature, th = t.threshold, l = t.left, r = t.right;
  let i = 0;
  while (f[i]! >= 0) i = x[o + f[i]!]! <= th[i]! ? l[i]! : r[i]!;
  return i;
}

export function softmaxInPlace(a: Float64Array, o: number, K: number): void {
  let m = -Infinity;
  for (let k = 0; k < K; k++) m = Math.max(m, a[o + k]!);
  let s = 0;
  for (let k = 0; k < K; k++) { const e = Math.exp(a[o + k]! - m); a[o + k] = e; s += e; }
  for (let k = 0; k < K; k++) a[o + k] = a[o + k]! / s;
}
