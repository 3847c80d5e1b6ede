// Offline evaluation of recommenders on a train/test split of (user, item, weight) rows, the
// per-user holdout used for tuning (carved from the training data only), and small tuning grids.
// Works on any Triples, so files and lake tables go through the same code.
import { InvalidInputError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { Interactions, type Triples } from './interactions.ts';
import { MetricsAccumulator, type UserTruth } from './metrics.ts';
import { maskSeen, topN, type Recommender } from './recommender.ts';
import { createRecommender, type RecommenderKind } from './registry.ts';

/** Held-out items per evaluated user, in the training data's index space. */
export interface Truth {
  userIds: string[];
  /** index in the training data, or -1 for a user the training data never saw */
  userIndex: Int32Array;
  truth: UserTruth[];
}

/** Groups test rows by user; rows with weight <= 0 (e.g. skips) are not relevant items. */
export function buildTruth(train: Interactions, test: Triples): Truth {
  const byUser = new Map<string, { known: Set<number>; all: Set<string> }>();
  for (let r = 0; r < test.users.length; r++) {
    const w = test.weights ? Number(test.weights[r]) : 1;
    if (!(w > 0)) continue;
    const u = test.users[r]!, it = test.items[r]!;
    let e = byUser.get(u);
    if (!e) { e = { known: new Set(), all: new Set() }; byUser.set(u, e); }
    e.all.add(it);
    const i = train.itemIndex.get(it);
    if (i !== undefined) e.known.add(i);
  }
  const userIds = [...byUser.keys()];
  return {
    userIds,
    userIndex: Int32Array.from(userIds, (u) => train.userIndex.get(u) ?? -1),
    truth: userIds.map((u) => { const e = byUser.get(u)!; return { known: e.known, size: e.all.size }; }),
  };
}

export interface RankingResult {
  ndcg10: number; recall20: number; precision10: number; map10: number; coverage: number;
  users: number;
  /** evaluated users unknown to the training data (scored as all misses) */
  coldUsers: number;
}

/** Scores users in batches, never recommends a training item, and averages the metrics. */
export function evaluateRanking(model: Recommender<any>, train: Interactions, truth: Truth, opts: { batch?: number } = {}): RankingResult {
  const batch = opts.batch ?? 256;
  const n = train.nItems;
  const acc = new MetricsAccumulator(n);
  const known: number[] = [];
  let cold = 0;
  for (let k = 0; k < truth.userIds.length; k++) {
    if (truth.userIndex[k]! >= 0) known.push(k); else { acc.addEmpty(truth.truth[k]!); cold++; }
  }
  for (let b0 = 0; b0 < known.length; b0 += batch) {
    const ks = known.slice(b0, b0 + batch);
    const users = Int32Array.from(ks, (k) => truth.userIndex[k]!);
    const scores = model.scoreUsers(users);
    for (let r = 0; r < ks.length; r++) {
      maskSeen(scores, r * n, train.byUser, users[r]!);
      acc.add(topN(scores, r * n, n, 20), truth.truth[ks[r]!]!);
    }
  }
  return { ...acc.result(), coldUsers: cold };
}

/**
 * Per-user random holdout inside one Interactions (same ids and indices): each user with at
 * least 2 items gives max(1, floor(n * fraction)) of them to validation.
 */
export function holdoutSplit(data: Interactions, opts: { fraction?: number; seed?: number } = {}): { train: Interactions; truth: Truth } {
  const fraction = opts.fraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new InvalidInputError(`holdoutSplit: fraction must be in (0, 1), got ${fraction}`);
  const rng = new Rng(opts.seed ?? 0);
  const { indptr, indices, data: w } = data.byUser;
  const keep = new Uint8Array(indices.length).fill(1);
  const userIds: string[] = [];
  const userIndex: number[] = [];
  const truth: UserTruth[] = [];
  for (let u = 0; u < data.nUsers; u++) {
    const lo = indptr[u]!, n = indptr[u + 1]! - lo;
    if (n < 2) continue;
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, k) => lo + k));
    const h = Math.max(1, Math.floor(n * fraction));
    const known = new Set<number>();
    for (let t = 0; t < h; t++) { keep[order[t]!] = 0; known.add(indices[order[t]!]!); }
    userIds.push(data.userIds[u]!); userIndex.push(u); truth.push({ known, size: h });
  }
  const newPtr = new Int32Array(data.nUsers + 1);
  const kept = keep.reduce((s, v) => s + v, 0);
  const newIdx = new Int32Array(kept), newW = new Float32Array(kept);
  let o = 0;
  for (let u = 0; u < data.nUsers; u++) {
    for (let k = indptr[u]!; k < indptr[u + 1]!; k++) if (keep[k]) { newIdx[o] = indices[k]!; newW[o] = w[k]!; o++; }
    newPtr[u + 1] = o;
  }
  const train = new Interactions(data.userIds, data.itemIds, { rows: data.nUsers, cols: data.nItems, indptr: newPtr, indices: newIdx, data: newW });
  return { train, truth: { userIds, userIndex: Int32Array.from(userIndex), truth } };
}

/** The ALS grid: every confidence scaling x alpha x a regularisation relative to the data. */
function alsGrid(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const confidence of ['linear', 'log', 'bm25'] as const) {
    for (const alpha of [1, 10]) {
      for (const regularizationScale of [0.05, 0.2, 0.6, 2]) out.push({ confidence, alpha, regularization: 'auto', regularizationScale });
    }
  }
  out.push(
    { confidence: 'tfidf', alpha: 1, regularization: 'auto', regularizationScale: 0.2 },
    { confidence: 'log', alpha: 4, epsilon: 10, regularization: 'auto', regularizationScale: 0.2 },
  );
  return out;
}

/**
 * Small grids around the usual good regions; searched on the validation holdout. ALS explores
 * the confidence scaling (weighting.ts) with alpha and the regularisation: on play counts a
 * linear confidence lets a few heavy pairs decide every factor, and no alpha repairs that; the
 * regularisation is searched relative to the data (a multiple of the mean interactions per
 * user, ALS's 'auto'), from 0.05x to 2x: the absolute 0.1-10 of the first grid sat two orders
 * of magnitude below what 200 plays per user need (docs/decisions.md).
 */
export const TUNING_GRIDS: Record<RecommenderKind, Array<Record<string, unknown>>> = {
  als: alsGrid(),
  ease: [{ lambda: 50 }, { lambda: 100 }, { lambda: 200 }, { lambda: 500 }, { lambda: 1000 }],
  'item-knn': [
    { k: 25 }, { k: 50 }, { k: 100 }, { k: 200 }, { k: 400 },
    { k: 100, binary: false, weighting: 'bm25' }, { k: 200, binary: false, weighting: 'bm25' },
    { k: 100, binary: false, weighting: 'tfidf' }, { k: 100, weighting: 'bm25' },
  ],
  popularity: [{}],
};

/**
 * Second stage, varied around the first stage's best point: ALS's regularisation halved and
 * doubled (the grid's steps are 3-4x), then the factor count at the better of those.
 */
export const TUNING_REFINE: Partial<Record<RecommenderKind, Array<Array<(best: Record<string, unknown>) => Record<string, unknown>>>>> = {
  als: [
    [(b) => ({ regularizationScale: Number(b.regularizationScale ?? 0.2) / 2 }), (b) => ({ regularizationScale: Number(b.regularizationScale ?? 0.2) * 2 })],
    [() => ({ factors: 32 }), () => ({ factors: 128 })],
  ],
};

export interface Trial { params: Record<string, unknown>; ndcg10: number; recall20: number; fit_s: number }

/**
 * A seeded sample of `maxUsers` of the data's users with all their rows, in the same item index
 * space (the data itself when it has no more users than that). Tuning runs on it so that its
 * cost stays fixed while the data grows: every grid point is a fit and an evaluation, and the
 * full data is fitted once afterwards, with the chosen point.
 */
export function sampleUsers(data: Interactions, maxUsers: number, seed = 0): Interactions {
  if (!(Number.isInteger(maxUsers) && maxUsers >= 1)) throw new InvalidInputError(`sampleUsers: maxUsers must be a positive integer, got ${maxUsers}`);
  if (data.nUsers <= maxUsers) return data;
  const picked = new Rng(seed).shuffle(Int32Array.from({ length: data.nUsers }, (_, u) => u)).subarray(0, maxUsers).sort();
  const { indptr, indices, data: w } = data.byUser;
  const ptr = new Int32Array(maxUsers + 1);
  picked.forEach((u, r) => { ptr[r + 1] = ptr[r]! + indptr[u + 1]! - indptr[u]!; });
  const idx = new Int32Array(ptr[maxUsers]!), val = new Float32Array(ptr[maxUsers]!);
  picked.forEach((u, r) => { idx.set(indices.subarray(indptr[u]!, indptr[u + 1]!), ptr[r]!); val.set(w.subarray(indptr[u]!, indptr[u + 1]!), ptr[r]!); });
  const users = Array.from(picked, (u) => data.userIds[u]!);
  return new Interactions(users, data.itemIds, { rows: maxUsers, cols: data.nItems, indptr: ptr, indices: idx, data: val });
}

/**
 * How a point tuned on a sample of users carries to the full data, `ratio` times as many users.
 * EASE's solution is unchanged when the Gram X^T X and lambda scale together, and the Gram grows
 * with the users, so lambda scales with them. ALS's 'auto' regularisation is already relative
 * (per interaction per user) and item-kNN's neighbour counts do not depend on the user count.
 */
export const TUNING_TRANSFER: Partial<Record<RecommenderKind, (best: Record<string, unknown>, ratio: number) => Record<string, unknown>>> = {
  ease: (b, ratio) => ({ ...b, lambda: Number(b.lambda ?? 200) * ratio }),
};

/**
 * Picks the grid point with the best validation NDCG@10 (ties: the earlier point), then tries
 * each refinement stage around the best point so far. Only the training data is used: validation is a per-user
 * holdout carved from it.
 */
export async function tune(
  kind: RecommenderKind, data: Interactions,
  opts: {
    base?: Record<string, unknown>; fraction?: number; seed?: number; grid?: Array<Record<string, unknown>>;
    /** stages after the grid: each stage's points are built from the best point so far */
    refine?: Array<Array<(best: Record<string, unknown>) => Record<string, unknown>>>;
    /**
     * tune on a seeded sample of this many users when the data has more (a fixed tuning budget);
     * the best point is then carried to the full data (TUNING_TRANSFER)
     */
    maxUsers?: number;
  } = {},
): Promise<{ best: Record<string, unknown>; trials: Trial[]; sample?: { users: number; of: number } }> {
  const grid = opts.grid ?? TUNING_GRIDS[kind];
  const refine = opts.refine ?? (opts.grid ? [] : TUNING_REFINE[kind] ?? []);
  const sample = opts.maxUsers !== undefined ? sampleUsers(data, opts.maxUsers, opts.seed) : data;
  const { train, truth } = holdoutSplit(sample, { fraction: opts.fraction, seed: opts.seed });
  const trials: Trial[] = [];
  let best = { ...opts.base, ...grid[0] }, bestScore = -1;
  const trial = async (params: Record<string, unknown>) => {
    const t = performance.now();
    const m = await createRecommender(kind, params).fit(train);
    const fit_s = (performance.now() - t) / 1000;
    const r = evaluateRanking(m, train, truth);
    trials.push({ params, ndcg10: r.ndcg10, recall20: r.recall20, fit_s });
    if (r.ndcg10 > bestScore) { bestScore = r.ndcg10; best = params; }
  };
  for (const point of grid) await trial({ ...opts.base, ...point });
  for (const stage of refine) {
    const from = best;
    for (const point of stage) await trial({ ...from, ...point(from) });
  }
  if (sample === data) return { best, trials };
  const transfer = TUNING_TRANSFER[kind];
  return { best: transfer ? transfer(best, data.nUsers / sample.nUsers) : best, trials, sample: { users: sample.nUsers, of: data.nUsers } };
}

export interface EvaluationRow extends RankingResult {
  model: RecommenderKind;
  fit_s: number;
  params: Record<string, unknown>;
  /** validation trials when tuned */
  tuning?: Trial[];
  /** the users tuning ran on, when it ran on a sample */
  tuningSample?: { users: number; of: number };
}

export interface EvaluateOptions {
  models: RecommenderKind[];
  tune?: boolean;
  /** per-model parameters (fixed, or the base the grid varies) */
  params?: Partial<Record<RecommenderKind, Record<string, unknown>>>;
  seed?: number;
  /** tune on a seeded sample of at most this many training users (default: all of them) */
  tuneUsers?: number;
  onRow?: (row: EvaluationRow) => void;
}

/** Fits each model on train (tuned on a holdout of train when asked) and scores it on test. */
export async function evaluateModels(trainRows: Triples, testRows: Triples, opts: EvaluateOptions): Promise<EvaluationRow[]> {
  const train = Interactions.fromTriples(trainRows);
  const truth = buildTruth(train, testRows);
  if (truth.userIds.length === 0) throw new InvalidInputError('evaluate: the test data has no rows with weight > 0');
  const rows: EvaluationRow[] = [];
  for (const kind of opts.models) {
    let params = { ...opts.params?.[kind] };
    let tuning: Trial[] | undefined, tuningSample: EvaluationRow['tuningSample'];
    if (opts.tune && TUNING_GRIDS[kind].length > 1) {
      const r = await tune(kind, train, { base: params, seed: opts.seed, maxUsers: opts.tuneUsers });
      params = r.best; tuning = r.trials; tuningSample = r.sample;
    }
    const t = performance.now();
    const model = await createRecommender(kind, params).fit(train);
    const fit_s = (performance.now() - t) / 1000;
    const row: EvaluationRow = {
      model: kind, fit_s, ...evaluateRanking(model, train, truth), params: { ...model.params },
      ...(tuning ? { tuning } : {}), ...(tuningSample ? { tuningSample } : {}),
    };
    rows.push(row);
    opts.onRow?.(row);
  }
  return rows;
}
