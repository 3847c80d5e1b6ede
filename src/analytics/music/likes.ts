// Will the user like this track? Gradient boosting over the collaborative-filtering score and
// the listening features, trained point in time: features and the ALS model see only events
// before a cutoff (the feature state at the cutoff, like-features.ts); the examples are the
// (user, track) pairs played after it, labelled 1 when the user liked the track after the
// cutoff. Held-out users measure log loss and AUC, next to the ALS score alone and the base
// rate. The served model (like-model.ts) then gets the state at the end of the data, so it
// answers with everything known, through the same feature code.
import { Rng } from '../../ml/core/rng.ts';
import type { Matrix } from '../../ml/core/matrix.ts';
import { logLoss, rocAucBinary } from '../../ml/metrics/classification.ts';
import { GradientBoostingClassifier } from '../../ml/tree/index.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { sqlString } from '../../lake/duck.ts';
import { LIKE_FEATURES, dataEnd, loadLikeState, type LikeQuery } from './like-features.ts';
import { LikeModel } from './like-model.ts';

export { LIKE_FEATURES };

export interface LikeModelResult {
  cutoff: string;
  features: readonly string[];
  train_examples: number;
  test_examples: number;
  positive_rate: number;
  log_loss: number;
  auc: number;
  /** the same held-out pairs ranked by the ALS score alone */
  auc_als_only: number;
  /** log loss of predicting the training positive rate for everyone */
  log_loss_base_rate: number;
  /** the end of the data the served state was built from */
  data_end: string;
  /** the classifier with the serving state: what the registry stores as `music-like` */
  model: LikeModel;
  /** the held-out examples (features at the cutoff), for scoring another model on the same rows */
  holdout: { X: Matrix; y: Float64Array };
}

export interface LikeModelOptions {
  /** ALS parameters (e.g. the tuned ones) */
  als?: Record<string, unknown>;
  /** the cutoff: this quantile of the plays' times (default 0.75) */
  cutoffAt?: number;
  testUserFraction?: number;
  seed?: number;
}

/** Training rows kept in the artifact as monitoring's reference. */
const REFERENCE_ROWS = 5000;

/** Builds the point-in-time training set, fits the boosting model, and scores held-out users. */
export async function fitLikeModel(wh: Warehouse, opts: LikeModelOptions = {}): Promise<LikeModelResult> {
  const seed = opts.seed ?? 0;
  const recipe = { als: opts.als ?? {}, cutoffAt: opts.cutoffAt ?? 0.75, testUserFraction: opts.testUserFraction ?? 0.25, seed };
  // the cutoff is a quantile of the plays' times, not a point of their range: a gap in the
  // data or a few late (or far-future) events move it little, so both sides keep examples
  const [range] = await wh.query<{ q: string | null }>(`SELECT quantile_disc(ts, ${Number(recipe.cutoffAt)})::VARCHAR AS q FROM curated.plays`);
  if (!range?.q) throw new Error('like model: curated.plays is empty');
  const cut = new Date(Date.parse(range.q));
  cut.setUTCHours(0, 0, 0, 0);
  const cutoff = cut.toISOString();
  const c = `TIMESTAMPTZ ${sqlString(cutoff)}`;
  // the examples: each (user, track) first played after the cutoff, the hour it was played at and
  // the genre played just before it in the same session (within 30 minutes)
  const rows = await wh.query<{ user_id: string; track_id: string; label: number; hour: number; prev_genre: string | null }>(`
    WITH seq AS (
      SELECT p.user_id, p.track_id, p.ts, p.hour_of_day, t.genre,
             lag(t.genre) OVER w AS prev_genre, lag(p.ts) OVER w AS prev_ts
      FROM curated.plays p JOIN curated.tracks t USING (track_id)
      WINDOW w AS (PARTITION BY p.user_id ORDER BY p.ts, p.event_id)
    ), first AS (
      SELECT * FROM seq WHERE ts >= ${c} QUALIFY row_number() OVER (PARTITION BY user_id, track_id ORDER BY ts) = 1
    ), lk AS (SELECT DISTINCT user_id, track_id FROM curated.likes WHERE ts >= ${c})
    SELECT f.user_id, f.track_id, (lk.user_id IS NOT NULL)::INT AS label, f.hour_of_day::INT AS hour,
      CASE WHEN f.ts - f.prev_ts <= INTERVAL 30 MINUTE THEN f.prev_genre END AS prev_genre
    FROM first f LEFT JOIN lk ON lk.user_id = f.user_id AND lk.track_id = f.track_id
    ORDER BY f.user_id, f.track_id`);
  const state = await loadLikeState(wh, cutoff, { als: recipe.als, seed });
  if (rows.length < 20 || state.users === 0) throw new Error(`like model: too little data around the cutoff ${cutoff} (${rows.length} examples)`);
  const n = rows.length, d = LIKE_FEATURES.length;
  const queries: LikeQuery[] = rows.map((r) => ({
    user_id: String(r.user_id),
    track_id: String(r.track_id),
    hour_of_day: Number(r.hour),
    prev_genre: r.prev_genre,
  }));
  const X = new Float64Array(n * d);
  queries.forEach((q, r) => state.row(q, X, r * d));
  const y = Float64Array.from(rows, (r) => Number(r.label));
  if (y.every((v) => v === y[0])) throw new Error(`like model: every example after the cutoff ${cutoff} has label ${y[0]} (${n} examples)`);

  // held-out users: no user contributes to both sides
  const users = [...new Set(rows.map((r) => String(r.user_id)))];
  new Rng(seed).shuffle(users);
  const testUsers = new Set(users.slice(0, Math.max(1, Math.round(users.length * (opts.testUserFraction ?? 0.25)))));
  const isTest = rows.map((r) => testUsers.has(String(r.user_id)));
  const pick = (test: boolean) => {
    const idx = isTest.flatMap((t, r) => (t === test ? [r] : []));
    const Xs = new Float64Array(idx.length * d);
    idx.forEach((r, k) => Xs.set(X.subarray(r * d, (r + 1) * d), k * d));
    return { X: { rows: idx.length, cols: d, data: Xs }, y: Float64Array.from(idx, (r) => y[r]!) };
  };
  const tr = pick(false), te = pick(true);
  const model = new GradientBoostingClassifier({
    nEstimators: 200, learningRate: 0.05, maxDepth: 4, minSamplesLeaf: 20, subsample: 0.8, seed, nJobs: 1,
  }).fit(tr.X, tr.y);
  const p1 = probability(model, te.X);
  const rate = tr.y.reduce((a, b) => a + b, 0) / tr.y.length;
  const alsOnly = Float64Array.from({ length: te.X.rows }, (_, k) => te.X.data[k * d]!);

  // the served model: the same classifier, the state at the end of the data, and a seeded
  // sample of the training rows as monitoring's reference
  const end = await dataEnd(wh);
  const serving = await loadLikeState(wh, end, { als: recipe.als, seed });
  const refIdx = Array.from({ length: tr.X.rows }, (_, i) => i);
  new Rng(seed + 1).shuffle(refIdx);
  refIdx.length = Math.min(refIdx.length, REFERENCE_ROWS);
  const refX = new Float64Array(refIdx.length * d);
  refIdx.forEach((r, k) => refX.set(tr.X.data.subarray(r * d, (r + 1) * d), k * d));
  const ref = { rows: refIdx.length, cols: d, data: refX };
  const like = new LikeModel(model, serving, recipe, cutoff, { X: ref, p: probability(model, ref) });
  return {
    cutoff, features: LIKE_FEATURES, train_examples: tr.X.rows, test_examples: te.X.rows, positive_rate: rate,
    log_loss: logLoss(te.y, p1), auc: rocAucBinary(te.y, p1), auc_als_only: rocAucBinary(te.y, alsOnly),
    log_loss_base_rate: logLoss(te.y, new Float64Array(te.X.rows).fill(rate)), data_end: end, model: like, holdout: te,
  };
}

function probability(model: GradientBoostingClassifier, X: Matrix): Float64Array {
  const P = model.predictProba(X);
  return Float64Array.from({ length: X.rows }, (_, k) => P.data[k * P.cols + P.cols - 1]!);
}
