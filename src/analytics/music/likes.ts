// Will the user like this track? Gradient boosting over the collaborative-filtering score and
// the listening features, trained point in time: features and the ALS model see only events
// before a cutoff; the examples are the (user, track) pairs played after it, labelled 1 when
// the user liked the track after the cutoff. Held-out users measure log loss and AUC, next to
// the ALS score alone and the base rate.
import { Rng } from '../../ml/core/rng.ts';
import { logLoss, rocAucBinary } from '../../ml/metrics/classification.ts';
import { Interactions } from '../../ml/recsys/interactions.ts';
import { createRecommender } from '../../ml/recsys/registry.ts';
import { GradientBoostingClassifier } from '../../ml/tree/index.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { sqlString } from '../../lake/duck.ts';
import { modelSqlAsOf } from './features.ts';

export const LIKE_FEATURES = [
  'als_score', 'als_known', 'track_skip_rate', 'track_completion_rate', 'track_log_plays', 'track_like_rate',
  'genre_affinity', 'genre_skip_rate', 'genre_share', 'hour_share', 'prior_strength', 'prior_plays',
  'transition_skip_rate', 'user_like_rate',
] as const;

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
  model: GradientBoostingClassifier;
}

export interface LikeModelOptions {
  /** ALS parameters (e.g. the tuned ones) */
  als?: Record<string, unknown>;
  /** the cutoff: this quantile of the plays' times (default 0.75) */
  cutoffAt?: number;
  testUserFraction?: number;
  seed?: number;
}

/** Builds the point-in-time training set, fits the boosting model, and scores held-out users. */
export async function fitLikeModel(wh: Warehouse, opts: LikeModelOptions = {}): Promise<LikeModelResult> {
  const seed = opts.seed ?? 0;
  // the cutoff is a quantile of the plays' times, not a point of their range: a gap in the
  // data or a few late (or far-future) events move it little, so both sides keep examples
  const [range] = await wh.query<{ q: string | null }>(`SELECT quantile_disc(ts, ${Number(opts.cutoffAt ?? 0.75)})::VARCHAR AS q FROM curated.plays`);
  if (!range?.q) throw new Error('like model: curated.plays is empty');
  const cut = new Date(Date.parse(range.q));
  cut.setUTCHours(0, 0, 0, 0);
  const cutoff = cut.toISOString();
  const asOf = {
    track: 'curated.music_track_stats', hours: 'curated.music_user_hours', genres: 'curated.music_user_genres',
    transitions: 'curated.music_genre_transitions', daily: 'curated.music_interactions_daily',
  } as const;
  const tmp = (k: string) => `asof_${k}`;
  for (const [k, table] of Object.entries(asOf)) await wh.conn.run(`CREATE OR REPLACE TEMP TABLE ${tmp(k)} AS ${modelSqlAsOf(table, cutoff)}`);
  try {
    const c = `TIMESTAMPTZ ${sqlString(cutoff)}`;
    const rows = await wh.query<Record<string, number | string>>(`
      WITH seq AS (
        SELECT p.user_id, p.track_id, p.ts, p.hour_of_day, t.genre,
               lag(t.genre) OVER w AS prev_genre, lag(p.ts) OVER w AS prev_ts
        FROM curated.plays p JOIN curated.tracks t USING (track_id)
        WINDOW w AS (PARTITION BY p.user_id ORDER BY p.ts, p.event_id)
      ), first AS (
        SELECT * FROM seq WHERE ts >= ${c} QUALIFY row_number() OVER (PARTITION BY user_id, track_id ORDER BY ts) = 1
      ), lk AS (SELECT DISTINCT user_id, track_id FROM curated.likes WHERE ts >= ${c}
      ), pr AS (SELECT user_id, track_id, sum(strength) AS strength, sum(plays) AS plays FROM ${tmp('daily')} GROUP BY 1, 2
      ), ul AS (SELECT user_id, sum(likes) / greatest(sum(plays), 1) AS like_rate FROM ${tmp('daily')} GROUP BY 1)
      SELECT f.user_id, f.track_id, (lk.user_id IS NOT NULL)::INT AS label,
        coalesce(ts.skip_rate, -1)::DOUBLE AS track_skip_rate, coalesce(ts.completion_rate, -1)::DOUBLE AS track_completion_rate,
        ln(1 + coalesce(ts.plays, 0))::DOUBLE AS track_log_plays, coalesce(ts.likes / nullif(ts.plays, 0), -1)::DOUBLE AS track_like_rate,
        coalesce(ug.affinity, 0)::DOUBLE AS genre_affinity, coalesce(ug.skip_rate, -1)::DOUBLE AS genre_skip_rate,
        coalesce(ug.share, 0)::DOUBLE AS genre_share, coalesce(uh.share, 0)::DOUBLE AS hour_share,
        coalesce(pr.strength, 0)::DOUBLE AS prior_strength, coalesce(pr.plays, 0)::DOUBLE AS prior_plays,
        (CASE WHEN f.prev_genre IS NOT NULL AND f.ts - f.prev_ts <= INTERVAL 30 MINUTE THEN coalesce(gt.skip_rate, -1) ELSE -1 END)::DOUBLE AS transition_skip_rate,
        coalesce(ul.like_rate, 0)::DOUBLE AS user_like_rate
      FROM first f
      LEFT JOIN lk ON lk.user_id = f.user_id AND lk.track_id = f.track_id
      LEFT JOIN ${tmp('track')} ts ON ts.track_id = f.track_id
      LEFT JOIN ${tmp('genres')} ug ON ug.user_id = f.user_id AND ug.genre = f.genre
      LEFT JOIN ${tmp('hours')} uh ON uh.user_id = f.user_id AND uh.hour_of_day = f.hour_of_day
      LEFT JOIN pr ON pr.user_id = f.user_id AND pr.track_id = f.track_id
      LEFT JOIN ${tmp('transitions')} gt ON gt.prev_genre = f.prev_genre AND gt.genre = f.genre
      LEFT JOIN ul ON ul.user_id = f.user_id
      ORDER BY f.user_id, f.track_id`);
    const train = await wh.query<{ user_id: string; track_id: string; strength: number }>(
      `SELECT user_id, track_id, sum(strength)::DOUBLE AS strength FROM ${tmp('daily')} GROUP BY 1, 2 HAVING sum(strength) > 0 ORDER BY 1, 2`);
    if (rows.length < 20 || train.length === 0) throw new Error(`like model: too little data around the cutoff ${cutoff} (${rows.length} examples)`);

    // the collaborative-filtering score of each pair, from a model fitted before the cutoff
    const data = Interactions.fromTriples({ users: train.map((r) => r.user_id), items: train.map((r) => r.track_id), weights: train.map((r) => r.strength) });
    const als = await createRecommender('als', { factors: 32, iterations: 10, ...opts.als, seed }).fit(data);
    const n = rows.length, d = LIKE_FEATURES.length;
    const X = new Float64Array(n * d);
    const y = new Float64Array(n);
    const userScores = new Map<number, Float32Array>();
    for (let r = 0; r < n; r++) {
      const row = rows[r]!;
      const u = data.userIndex.get(String(row.user_id)), i = data.itemIndex.get(String(row.track_id));
      let score = 0, known = 0;
      if (u !== undefined && i !== undefined) {
        let s = userScores.get(u);
        if (!s) { s = als.scoreUsers(Int32Array.of(u)); userScores.set(u, s); }
        score = s[i]!; known = 1;
      }
      X[r * d] = score; X[r * d + 1] = known;
      for (let j = 2; j < d; j++) X[r * d + j] = Number(row[LIKE_FEATURES[j]!]);
      y[r] = Number(row.label);
    }

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
    const P = model.predictProba(te.X);
    const p1 = Float64Array.from({ length: te.X.rows }, (_, k) => P.data[k * P.cols + P.cols - 1]!);
    const rate = tr.y.reduce((a, b) => a + b, 0) / tr.y.length;
    const alsOnly = Float64Array.from({ length: te.X.rows }, (_, k) => te.X.data[k * d]!);
    return {
      cutoff, features: LIKE_FEATURES, train_examples: tr.X.rows, test_examples: te.X.rows, positive_rate: rate,
      log_loss: logLoss(te.y, p1), auc: rocAucBinary(te.y, p1), auc_als_only: rocAucBinary(te.y, alsOnly),
      log_loss_base_rate: logLoss(te.y, new Float64Array(te.X.rows).fill(rate)), model,
    };
  } finally {
    for (const k of Object.keys(asOf)) await wh.conn.run(`DROP TABLE IF EXISTS ${tmp(k)}`);
  }
}
