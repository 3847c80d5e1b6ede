// Histogram gradient boosting (XGBoost / LightGBM style): features binned once, one Newton
// tree per round (per class for multiclass) on gradient/hessian histograms, L2 on leaf values,
// shrinkage, row subsampling and per-tree column sampling, and optional early stopping on a
// held-out validation fraction.
import type { Matrix } from '../core/matrix.ts';
import type { SerializedEstimator } from '../core/estimator.ts';
import { checkXy, resolveParams } from '../core/estimator.ts';
import { InvalidInputError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import type { FlatTree, TreeEnsemble } from '../core/tree-model.ts';
import { predictTreeRow } from '../core/tree-model.ts';
import { takeRows } from '../core/matrix.ts';
import { buildBinnedData, featureBin, type BinnedData } from './dataset.ts';
import { groupRows } from './row-groups.ts';
import { TreeGrower, type GrowParams, type GrownTree } from './grower.ts';
import { toFlatTree, widenTree } from './flat.ts';
import { softmaxInPlace } from './predict.ts';
import { CTL, SHARDS, ShardedRows, allocShards, type ShardArrays } from './shards.ts';
import { MessageChannel } from 'node:worker_threads';
import { availableParallelism, loadavg } from 'node:os';
import { threadPool } from '../../util/thread-pool.ts';
import { defaultThreads } from '../../util/workers.ts';
import { TreeClassifierBase, TreeRegressorBase, checkInt, checkRange, encodeClasses, type TreeState } from './base.ts';

const BOOST_TASKS = new URL('./boost-worker.ts', import.meta.url);

export interface GradientBoostingParams {
  /** boosting rounds (upper bound when early stopping is on) */
  nEstimators: number;
  learningRate: number;
  /** 0 = no depth limit (then set maxLeaves) */
  maxDepth: number;
  /** 0 = no limit; otherwise trees grow best-first (leaf-wise) up to this many leaves */
  maxLeaves: number;
  minSamplesLeaf: number;
  /** minimum hessian sum in a child */
  minChildWeight: number;
  /** L2 penalty on leaf values (XGBoost's lambda) */
  lambda: number;
  /** minimum loss reduction to split (XGBoost's gamma) */
  minGain: number;
  /** fraction of rows drawn (without replacement) for each round */
  subsample: number;
  /** fraction of features drawn for each tree */
  colsample: number;
  maxBins: number;
  /** stop when the validation loss has not improved by tol for this many rounds; 0 = off */
  nIterNoChange: number;
  validationFraction: number;
  tol: number;
  seed: number;
  /**
   * threads: 0 = automatic (a worker thread when a core is free, used for a tree while timed
   * trees show it helps), 1 = none, 2 = always the worker (the most: the fixed part count);
   * tiny data (LOCAL_CELLS) never uses it
   */
  nJobs: number;
}

/**
 * XGBoost's defaults where the two share a meaning (lambda 1, min_child_weight 1, max_bin 256,
 * depth 6), except the learning rate: 0.1 (scikit-learn's and LightGBM's) with 100 rounds
 * rather than XGBoost's 0.3, which overfits small tables (a forecast's few dozen periods).
 */
export const GBDT_DEFAULTS: GradientBoostingParams = {
  nEstimators: 100, learningRate: 0.1, maxDepth: 6, maxLeaves: 0, minSamplesLeaf: 1, minChildWeight: 1,
  lambda: 1, minGain: 0, subsample: 1, colsample: 1, maxBins: 256, nIterNoChange: 0, validationFraction: 0.1,
  tol: 1e-7, seed: 0, nJobs: 0,
};

/**
 * Classifiers keep a minimum child hessian of 1e-3 (scikit-learn's HistGradientBoosting): a
 * logistic hessian p(1 - p) is tiny near purity, and XGBoost's 1 stops small or well separated
 * data from being fitted at all.
 */
export const GBDT_CLASSIFIER_DEFAULTS: GradientBoostingParams = { ...GBDT_DEFAULTS, minChildWeight: 1e-3 };

function validate(kind: string, p: GradientBoostingParams): void {
  checkInt(kind, 'nEstimators', p.nEstimators, 1);
  checkRange(kind, 'learningRate', p.learningRate, 0, 10, true);
  checkInt(kind, 'maxDepth', p.maxDepth, 0);
  checkInt(kind, 'maxLeaves', p.maxLeaves, 0);
  if (p.maxLeaves === 1) checkInt(kind, 'maxLeaves', p.maxLeaves, 2);
  if (p.maxDepth === 0 && p.maxLeaves === 0) checkInt(kind, 'maxDepth or maxLeaves', 0, 1);
  checkInt(kind, 'minSamplesLeaf', p.minSamplesLeaf, 1);
  checkRange(kind, 'minChildWeight', p.minChildWeight, 0, Infinity);
  checkRange(kind, 'lambda', p.lambda, 0, Infinity);
  checkRange(kind, 'minGain', p.minGain, 0, Infinity);
  checkRange(kind, 'subsample', p.subsample, 0, 1, true);
  checkRange(kind, 'colsample', p.colsample, 0, 1, true);
  checkInt(kind, 'maxBins', p.maxBins, 2);
  checkRange(kind, 'maxBins', p.maxBins, 2, 256);
  checkInt(kind, 'nIterNoChange', p.nIterNoChange, 0);
  checkRange(kind, 'validationFraction', p.validationFraction, 0, 1, true);
  if (p.validationFraction >= 1) checkRange(kind, 'validationFraction', p.validationFraction, 0, 0.99);
  checkRange(kind, 'tol', p.tol, 0, Infinity);
  checkInt(kind, 'seed', p.seed, 0);
  checkInt(kind, 'nJobs', p.nJobs, 0);
}

type Loss = 'squared' | 'logistic' | 'softmax';

/**
 * Training matrices of at most this many cells (rows x features, e.g. the few dozen periods of a
 * forecast backtest) are boosted on one thread without the row shards (shards.ts): the shards'
 * WebAssembly kernels are generated and instantiated for every fit, which there costs more than
 * the fit's histograms (measured: 2.7 vs 3.8 ms a fit of 100 rounds on 48 x 10, warm, and three
 * times that cold; from a few hundred rows on the shards are faster). Such data never uses the
 * worker either, whatever nJobs says, so the model cannot depend on the thread count.
 */
const LOCAL_CELLS = 2048;

interface BoostResult { ensemble: TreeEnsemble; nIter: number; validationLoss: number[]; parallelTrees: number }

/**
 * The boosting loop. y: the target (squared) or class index (logistic / softmax).
 * Raw scores F (n x K) start at the base score; each round fits K trees to the negative
 * gradients with hessians, scales their leaves by the learning rate and adds them to F.
 */
function boost(kind: string, p: GradientBoostingParams, X: Matrix, y: Float64Array, loss: Loss, K: number): BoostResult {
  const rng = new Rng(p.seed);
  let Xtr = X, ytr = y, Xva: Matrix | null = null, yva: Float64Array | null = null;
  if (p.nIterNoChange > 0) {
    const order = rng.shuffle(Int32Array.from({ length: X.rows }, (_, i) => i));
    const nVa = Math.round(X.rows * p.validationFraction);
    if (nVa < 1 || X.rows - nVa < 2) throw new InvalidInputError(`${kind}: too few rows (${X.rows}) for a validationFraction of ${p.validationFraction}`);
    const va = order.subarray(0, nVa).slice().sort(), tr = order.subarray(nVa).slice().sort();
    Xtr = takeRows(X, tr); ytr = Float64Array.from(tr, (i) => y[i]!);
    Xva = takeRows(X, va); yva = Float64Array.from(va, (i) => y[i]!);
  }
  const n = Xtr.rows;
  const threads = Math.min(SHARDS, p.nJobs > 0 ? p.nJobs : defaultThreads());
  // by default a worker only for fits long enough to repay its start-up (~0.3 s of loading), and
  // only when a core is free: on a saturated machine its start-up and its waits for a busy core
  // cost more than it saves (measured: 2x slower trees at a load of 5 on 2 cores). The model is
  // the same either way.
  const local = n * X.cols <= LOCAL_CELLS;
  const useWorker = !local && threads > 1 && n >= 2 * SHARDS && (p.nJobs > 1 || (n * p.nEstimators >= 2_000_000 && loadavg()[0]! < availableParallelism()));
  if (local) {
    // the grower's own rows and histograms (see LOCAL_CELLS)
    const data = buildBinnedData(Xtr, { maxBins: p.maxBins, seed: p.seed });
    return boostLoop(p, X.cols, Xva, yva, ytr, loss, K, data, null, null, rng, null);
  }
  // the worker boots (loads its module) while binning runs; trees start using it once it is up
  const ctl = ShardedRows.controlBlock();
  // started first, it loads while we bin; the binned data follows on its port
  const channel = useWorker ? new MessageChannel() : null;
  const crew = channel ? threadPool().holdNow(1, BOOST_TASKS, { start: true }) : null;
  if (channel) crew!.call(0, 'session', { ctl, port: channel.port2, first: 1 }, [channel.port2]).catch(() => {});
  // the session ends on STOP (ShardedRows.close, or below when binning failed)
  const worker = crew ? { terminate: () => crew.release(true) } : null;
  let shards: ShardedRows | null = null;
  try {
    const binned = buildBinnedData(Xtr, { maxBins: p.maxBins, seed: p.seed, shared: useWorker });
    // squared loss on every row each round: identical rows stay together in every tree, so they
    // are boosted as one row carrying their count and summed target (see MergedRows)
    const groups = loss === 'squared' && p.subsample === 1 && p.minSamplesLeaf === 1 ? groupRows(binned, null) : null;
    const data = groups ? groups.data : binned;
    const merged = groups ? mergedRows(groups.group, groups.data.n, ytr) : null;
    const maxNodes = Math.max(1, Math.min(
      2 * data.n - 1,
      p.maxLeaves > 0 ? 2 * p.maxLeaves - 1 : Infinity,
      p.maxDepth > 0 && p.maxDepth < 30 ? 2 ** (p.maxDepth + 1) - 1 : Infinity,
    ));
    const arrays = allocShards(data, maxNodes, loss === 'squared' && !merged);
    if (merged) arrays.h!.set(merged.w);
    if (channel) {
      channel.port1.postMessage({ data, arrays });
      Atomics.store(ctl, CTL.INIT, 1);
      Atomics.notify(ctl, CTL.INIT);
    }
    shards = new ShardedRows(data, arrays, worker, ctl);
    // an explicit thread count waits for the worker; the default takes it when it is ready
    if (worker && p.nJobs > 1) shards.waitReady(20_000);
    const r = boostLoop(p, X.cols, Xva, yva, ytr, loss, K, data, arrays, shards, rng, merged);
    r.parallelTrees = shards.parallelTrees;
    return r;
  } finally {
    if (shards) shards.close(); else if (worker) { ShardedRows.stop(ctl); worker.terminate(); }
    channel?.port1.close();
  }
}

/**
 * Identical training rows boosted as one (squared loss, every row in every round): they share
 * their bins, so every tree puts them in the same leaf and they keep one score F. A merged row's
 * gradient is the sum of its members' (ySum - w * F) and its hessian their count w, so node sums,
 * gains, leaf values and min_child_weight are those of the rows one by one, up to the order of
 * floating-point sums. (AER's CPS1988: 22,524 rows, 5,726 distinct.)
 */
interface MergedRows { ySum: Float64Array; w: Float64Array }

function mergedRows(group: Int32Array, m: number, y: Float64Array): MergedRows {
  const ySum = new Float64Array(m), w = new Float64Array(m);
  for (let i = 0; i < group.length; i++) { const q = group[i]!; ySum[q] += y[i]!; w[q] += 1; }
  return { ySum, w };
}

function boostLoop(p: GradientBoostingParams, nFeatures: number, Xva: Matrix | null, yva: Float64Array | null, ytr: Float64Array, loss: Loss, K: number,
  data: BinnedData, arrays: ShardArrays | null, shards: ShardedRows | null, rng: Rng, merged: MergedRows | null): BoostResult {
  const n = data.n;
  const X = { cols: nFeatures };
  const base = baseScore(loss, ytr, K);
  const F = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) F[i * K + k] = base[k]!;
  const Fva = Xva ? new Float64Array(Xva.rows * K) : null;
  if (Fva) for (let i = 0; i < Fva.length; i++) Fva[i] = base[i % K]!;

  const grower = new TreeGrower(data, 'scalar');
  const grow: GrowParams = {
    maxDepth: p.maxDepth > 0 ? p.maxDepth : Infinity, maxLeaves: p.maxLeaves, minSamplesLeaf: p.minSamplesLeaf,
    minChildWeight: p.minChildWeight, lambda: p.lambda, minGain: p.minGain, maxFeatures: X.cols,
  };
  // squared loss has unit hessians (h null): the grower then counts rows instead of summing h
  // the shards' arrays, or the grower's own rows (the grower then builds its own histograms)
  const g = arrays ? arrays.g : new Float64Array(n);
  const h = arrays ? arrays.h : loss === 'squared' ? null : new Float64Array(n);
  const rows = arrays ? arrays.rows : new Int32Array(n);
  const prob = loss === 'softmax' ? new Float64Array(n * K) : null;
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  const picked = new Uint8Array(n);
  const nSub = Math.max(1, Math.round(p.subsample * n));
  const nCol = Math.max(1, Math.round(p.colsample * X.cols));
  const featPool = Int32Array.from({ length: X.cols }, (_, j) => j);
  const trees: FlatTree[] = [];
  const valLoss: number[] = [];
  if (shards) shards.fixedRoot = nSub === n;
  let best = Infinity, bestIter = -1;

  for (let it = 0; it < p.nEstimators; it++) {
    if (nSub < n) {
      // a fresh sample each round: partial Fisher-Yates over all rows
      for (let k = 0; k < nSub; k++) { const j = k + rng.int(n - k); const a = perm[k]!; perm[k] = perm[j]!; perm[j] = a; }
      picked.fill(0);
      for (let k = 0; k < nSub; k++) picked[perm[k]!] = 1;
    }
    let allowed: Int32Array | null = null;
    if (nCol < X.cols) {
      for (let k = 0; k < nCol; k++) { const j = k + rng.int(X.cols - k); const a = featPool[k]!; featPool[k] = featPool[j]!; featPool[j] = a; }
      allowed = featPool.slice(0, nCol).sort();
    }
    if (prob) {
      prob.set(F);
      for (let i = 0; i < n; i++) softmaxInPlace(prob, i * K, K);
    }
    for (let k = 0; k < K; k++) {
      // squared loss: addToScores already wrote the next gradients while it updated F
      if (merged) { const { ySum, w } = merged; for (let q = 0; q < n; q++) g[q] = ySum[q]! - w[q]! * F[q]!; }
      else if (loss !== 'squared' || it === 0) gradients(loss, F, prob, ytr, k, K, g, h);
      if (arrays) {
        // every block's root segment: its (sampled) rows in ascending order
        const { lo, segStart, segEnd } = arrays;
        for (let s = 0; s < SHARDS; s++) {
          let w = lo[s]!;
          const e = lo[s + 1]!;
          if (nSub === n) for (let i = lo[s]!; i < e; i++) rows[w++] = i;
          else for (let i = lo[s]!; i < e; i++) { rows[w] = i; w += picked[i]!; }
          segStart[s * arrays.maxNodes] = lo[s]!; segEnd[s * arrays.maxNodes] = w;
        }
      } else {
        let w = 0;
        if (nSub === n) for (let i = 0; i < n; i++) rows[w++] = i;
        else for (let i = 0; i < n; i++) { rows[w] = i; w += picked[i]!; }
      }
      shards?.beginTree(p.nJobs > 1);
      const grown = grower.grow(rows, nSub, { kind: 'scalar', g, h }, grow, rng, allowed, shards);
      const yk = loss === 'squared' && !merged ? ytr : null;
      const inTree = nSub < n ? picked : null;
      if (arrays) addToScores(grown, data, arrays, inTree, F, k, K, p.learningRate, yk, g);
      else addToScoresLocal(grown, data, rows, inTree, F, k, K, p.learningRate, yk, g);
      const flat = toFlatTree(grown, data, p.learningRate);
      trees.push(K > 1 ? widenTree(flat, K, k) : flat);
      if (Fva) {
        const d = Xva!.cols;
        for (let i = 0; i < Xva!.rows; i++) Fva[i * K + k] += flat.value[predictTreeRow(flat, Xva!.data.subarray(i * d, i * d + d))]!;
      }
    }
    if (Fva) {
      const l = meanLoss(loss, Fva, yva!, K);
      valLoss.push(l);
      if (l < best - p.tol) { best = l; bestIter = it; }
      else if (it - bestIter >= p.nIterNoChange) break;
    }
  }
  // with early stopping, keep the rounds up to the best validation loss
  const nIter = Fva ? bestIter + 1 : trees.length / K;
  return {
    ensemble: {
      trees: trees.slice(0, nIter * K), aggregate: 'sum', base: Array.from(base),
      postTransform: loss === 'squared' ? 'none' : loss === 'logistic' ? 'logistic' : 'softmax', nFeatures: X.cols,
    },
    nIter, validationLoss: valLoss, parallelTrees: 0,
  };
}

function baseScore(loss: Loss, y: Float64Array, K: number): Float64Array {
  const n = y.length;
  if (loss === 'squared') { let s = 0; for (let i = 0; i < n; i++) s += y[i]!; return Float64Array.of(s / n); }
  const cnt = new Float64Array(K === 1 ? 2 : K);
  for (let i = 0; i < n; i++) cnt[y[i]!]++;
  const eps = 1e-12;
  if (loss === 'logistic') { const p1 = Math.min(1 - eps, Math.max(eps, cnt[1]! / n)); return Float64Array.of(Math.log(p1 / (1 - p1))); }
  return Float64Array.from(cnt, (c) => Math.log(Math.max(eps, c / n)));
}

/** Negative gradient into g, hessian into h (null for squared loss, whose hessian is 1). */
function gradients(
  loss: Loss, F: Float64Array, prob: Float64Array | null, y: Float64Array, k: number, K: number, g: Float64Array, h: Float64Array | null,
): void {
  const n = y.length;
  if (loss === 'squared') { for (let i = 0; i < n; i++) g[i] = y[i]! - F[i]!; return; }
  if (loss === 'logistic') {
    for (let i = 0; i < n; i++) {
      const pr = 1 / (1 + Math.exp(-F[i]!));
      g[i] = y[i]! - pr; h![i] = Math.max(pr * (1 - pr), 1e-16);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const pr = prob![i * K + k]!;
    g[i] = (y[i] === k ? 1 : 0) - pr; h![i] = Math.max(pr * (1 - pr), 1e-16);
  }
}

/**
 * F += lr * leaf value: the tree's rows by the leaves' row segments, the rows left out of it
 * (inTree: 1 for the rows of a subsampled round, null when every row was in) by walking their
 * bins. y given (squared loss, K = 1): also the next round's gradients g = y - F, as
 * gradients() would compute them, while the row's F is at hand.
 */
function addToScores(
  t: GrownTree, data: BinnedData, a: ShardArrays, inTree: Uint8Array | null,
  F: Float64Array, k: number, K: number, lr: number, y: Float64Array | null, g: Float64Array,
): void {
  if (y) { addToScoresSquared(t, data, a, inTree, F, lr, y, g); return; }
  const n = data.n;
  const us = t.unsplit;
  const side = new Float64Array(2);
  const skip = leavesUnderUnsplit(t);
  const { featCol, featCode } = data;
  for (let node = 0; node < t.nNodes; node++) {
    if (us && us[node]) {
      // a split left unpartitioned: each row of its segment takes its side's leaf value
      const f = t.feature[node]!, code = featCode[f]!, b = t.bin[node]!;
      const cb = a.colBins.subarray(featCol[f]! * n, (featCol[f]! + 1) * n);
      // [right, left] picked by a 0/1 side: the side is a coin flip to the branch predictor
      side[1] = lr * t.value[t.left[node]!]!; side[0] = lr * t.value[t.right[node]!]!;
      for (let s = 0; s < SHARDS; s++) {
        const e = a.segEnd[s * a.maxNodes + node]!;
        if (code === 0) {
          for (let q = a.segStart[s * a.maxNodes + node]!; q < e; q++) { const r = a.rows[q]!; F[r * K + k] += side[(cb[r]! - b - 1) >>> 31]!; }
        } else {
          for (let q = a.segStart[s * a.maxNodes + node]!; q < e; q++) { const r = a.rows[q]!; F[r * K + k] += side[cb[r]! !== code ? 1 : 0]!; }
        }
      }
      continue;
    }
    if (t.feature[node]! >= 0 || (skip && skip[node])) continue;
    const v = lr * t.value[node]!;
    for (let s = 0; s < SHARDS; s++) {
      const e = a.segEnd[s * a.maxNodes + node]!;
      for (let q = a.segStart[s * a.maxNodes + node]!; q < e; q++) F[a.rows[q]! * K + k] += v;
    }
  }
  if (inTree) walkScores(t, data, F, k, K, lr, null, g, inTree);
}

/** addToScores for a tree grown on the grower's own rows (every leaf owns its segment of rows). */
function addToScoresLocal(
  t: GrownTree, data: BinnedData, rows: Int32Array, inTree: Uint8Array | null,
  F: Float64Array, k: number, K: number, lr: number, y: Float64Array | null, g: Float64Array,
): void {
  if (inTree) walkScores(t, data, F, k, K, lr, y, g, inTree);
  for (let node = 0; node < t.nNodes; node++) {
    if (t.feature[node]! >= 0) continue;
    const v = lr * t.value[node]!, e = t.end[node]!;
    if (y) for (let q = t.start[node]!; q < e; q++) { const r = rows[q]!; const f2 = F[r]! + v; F[r] = f2; g[r] = y[r]! - f2; }
    else for (let q = t.start[node]!; q < e; q++) F[rows[q]! * K + k] += v;
  }
}

/** F += lr * leaf value for every row not in the tree, each walked down it on its bins (y: also g = y - F). */
function walkScores(
  t: GrownTree, data: BinnedData, F: Float64Array, k: number, K: number, lr: number, y: Float64Array | null, g: Float64Array, inTree: Uint8Array,
): void {
  for (let i = 0; i < data.n; i++) {
    if (inTree[i]) continue;
    let node = 0;
    while (t.feature[node]! >= 0) node = featureBin(data, i, t.feature[node]!) <= t.bin[node]! ? t.left[node]! : t.right[node]!;
    if (y) { const f2 = F[i]! + lr * t.value[node]!; F[i] = f2; g[i] = y[i]! - f2; } else F[i * K + k] += lr * t.value[node]!;
  }
}

/** Leaves under an unpartitioned split have no segments of their own: marked, to be skipped. */
function leavesUnderUnsplit(t: GrownTree): Uint8Array | null {
  const us = t.unsplit;
  if (!us) return null;
  const skip = new Uint8Array(t.nNodes);
  for (let node = 0; node < t.nNodes; node++) if (us[node]) { skip[t.left[node]!] = 1; skip[t.right[node]!] = 1; }
  return skip;
}

/** addToScores for squared loss (K = 1), writing g = y - F for every row it updates. */
function addToScoresSquared(
  t: GrownTree, data: BinnedData, a: ShardArrays, inTree: Uint8Array | null, F: Float64Array, lr: number, y: Float64Array, g: Float64Array,
): void {
  const n = data.n;
  const us = t.unsplit;
  const side = new Float64Array(2);
  const skip = leavesUnderUnsplit(t);
  const { featCol, featCode } = data;
  const rows = a.rows;
  for (let node = 0; node < t.nNodes; node++) {
    if (us && us[node]) {
      const f = t.feature[node]!, code = featCode[f]!, b = t.bin[node]!;
      const cb = a.colBins.subarray(featCol[f]! * n, (featCol[f]! + 1) * n);
      side[1] = lr * t.value[t.left[node]!]!; side[0] = lr * t.value[t.right[node]!]!;
      for (let s = 0; s < SHARDS; s++) {
        const e = a.segEnd[s * a.maxNodes + node]!;
        if (code === 0) {
          for (let q = a.segStart[s * a.maxNodes + node]!; q < e; q++) {
            const r = rows[q]!; const f2 = F[r]! + side[(cb[r]! - b - 1) >>> 31]!; F[r] = f2; g[r] = y[r]! - f2;
          }
        } else {
          for (let q = a.segStart[s * a.maxNodes + node]!; q < e; q++) {
            const r = rows[q]!; const f2 = F[r]! + side[cb[r]! !== code ? 1 : 0]!; F[r] = f2; g[r] = y[r]! - f2;
          }
        }
      }
      continue;
    }
    if (t.feature[node]! >= 0 || (skip && skip[node])) continue;
    const v = lr * t.value[node]!;
    for (let s = 0; s < SHARDS; s++) {
      const e = a.segEnd[s * a.maxNodes + node]!;
      for (let q = a.segStart[s * a.maxNodes + node]!; q < e; q++) { const r = rows[q]!; const f2 = F[r]! + v; F[r] = f2; g[r] = y[r]! - f2; }
    }
  }
  if (inTree) walkScores(t, data, F, 0, 1, lr, y, g, inTree);
}

function meanLoss(loss: Loss, F: Float64Array, y: Float64Array, K: number): number {
  const n = y.length;
  let s = 0;
  if (loss === 'squared') { for (let i = 0; i < n; i++) s += (y[i]! - F[i]!) ** 2; return s / n; }
  if (loss === 'logistic') {
    for (let i = 0; i < n; i++) { const z = F[i]!; s += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y[i]! * z; }
    return s / n;
  }
  const p = F.slice();
  for (let i = 0; i < n; i++) { softmaxInPlace(p, i * K, K); s -= Math.log(Math.max(p[i * K + y[i]!]!, 1e-300)); }
  return s / n;
}

export class GradientBoostingRegressor extends TreeRegressorBase<GradientBoostingParams> {
  readonly kind = 'GradientBoostingRegressor';
  /** rounds kept after fit (fewer than nEstimators when early stopping fired) */
  nIter = 0;
  validationLoss: number[] = [];
  /** trees of the last fit grown with the worker thread's help (diagnostic; the model is the same) */
  parallelTrees = 0;

  constructor(params: Partial<GradientBoostingParams> = {}) {
    super(resolveParams('GradientBoostingRegressor', GBDT_DEFAULTS, params));
    validate(this.kind, this.params);
  }

  fit(X: Matrix, y: Float64Array): this {
    checkXy(this.kind, X, y);
    const r = boost(this.kind, this.params, X, y, 'squared', 1);
    this.setEnsemble(r.ensemble, null);
    this.nIter = r.nIter; this.validationLoss = r.validationLoss; this.parallelTrees = r.parallelTrees;
    return this;
  }

  protected override extraState() { return { nIter: this.nIter, validationLoss: this.validationLoss }; }
  protected override restoreExtra(e: Record<string, unknown> | undefined) {
    this.nIter = Number(e?.nIter ?? 0); this.validationLoss = (e?.validationLoss as number[] | undefined) ?? [];
  }

  static fromJSON(json: SerializedEstimator<GradientBoostingParams, TreeState>): GradientBoostingRegressor {
    return new GradientBoostingRegressor(json.params).loadState(json);
  }
}

export class GradientBoostingClassifier extends TreeClassifierBase<GradientBoostingParams> {
  readonly kind = 'GradientBoostingClassifier';
  nIter = 0;
  validationLoss: number[] = [];
  /** trees of the last fit grown with the worker thread's help (diagnostic; the model is the same) */
  parallelTrees = 0;

  constructor(params: Partial<GradientBoostingParams> = {}) {
    super(resolveParams('GradientBoostingClassifier', GBDT_CLASSIFIER_DEFAULTS, params));
    validate(this.kind, this.params);
  }

  fit(X: Matrix, y: Float64Array): this {
    checkXy(this.kind, X, y);
    const { classes, index } = encodeClasses(this.kind, y);
    if (classes.length < 2) throw new InvalidInputError(`${this.kind}: y has a single class (${classes[0]}); need at least 2`);
    const binary = classes.length === 2;
    const r = boost(this.kind, this.params, X, index, binary ? 'logistic' : 'softmax', binary ? 1 : classes.length);
    this.setEnsemble(r.ensemble, classes);
    this.nIter = r.nIter; this.validationLoss = r.validationLoss; this.parallelTrees = r.parallelTrees;
    return this;
  }

  protected override extraState() { return { nIter: this.nIter, validationLoss: this.validationLoss }; }
  protected override restoreExtra(e: Record<string, unknown> | undefined) {
    this.nIter = Number(e?.nIter ?? 0); this.validationLoss = (e?.validationLoss as number[] | undefined) ?? [];
  }

  static fromJSON(json: SerializedEstimator<GradientBoostingParams, TreeState>): GradientBoostingClassifier {
    return new GradientBoostingClassifier(json.params).loadState(json);
  }
}
