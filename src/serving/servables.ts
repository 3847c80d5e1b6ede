// A registry version turned into what the API serves. The artifact's kind decides the shape:
// the retail spend model and segmentation (src/analytics/retail) and the recommenders
// (src/ml/recsys) have their own endpoints; every other estimator or Pipeline is a generic
// feature-row predictor. Spend and segmentation also answer generic feature rows.
import { SegmentModel } from '../analytics/retail/segments.ts';
import type { Matrix } from '../ml/core/matrix.ts';
import { loadSupervised } from '../ml/registry.ts';
import { decodeArray, type EncodedArray, type Recommender, type SerializedRecommender } from '../ml/recsys/recommender.ts';
import { dotScorer } from './kernels/dot-f32.ts';
import { quantizedTopK } from './kernels/topk-i8.ts';
import { PlaylistModel, recommendForUser } from '../analytics/music/playlist.ts';
import { LIKE_KIND, LikeModel, type LikeArtifact } from '../analytics/music/like-model.ts';
import { LIKE_FEATURES, type LikeQuery } from '../analytics/music/like-features.ts';
import { RECOMMENDER_KINDS, recommenderFromJSON } from '../ml/recsys/registry.ts';
import { StandardScaler } from '../ml/preprocessing/index.ts';
import type { LoadedModel } from '../tracking/index.ts';
import { checkAnswers, checkStructure, UnloadableModelError } from './model-check.ts';
import { errorLine } from '../util/redact.ts';
import { buildPredictor, warmUp, type FeatureSpec, type Predictor } from './predictor.ts';
import { InputError } from './input-error.ts';

/** Model names the retail pipeline registers (src/pipeline/retail.ts). */
export const SPEND_MODEL = 'retail-spend';
export const SEGMENT_MODEL = 'retail-segments';

interface Base { name: string; version: number; kind: string; loadedAt: string }

export interface PredictorServable extends Base { type: 'predictor'; predictor: Predictor }

export interface SpendServable extends Base {
  type: 'spend';
  predictor: Predictor;
  /** feature names in the model's column order (the online features' layout) */
  features: string[];
  categories: string[];
  countries: string[];
  horizonDays: number;
  predictVector(x: Float64Array): number;
}

export interface SegmentServable extends Base { type: 'segment'; predictor: Predictor; model: SegmentModel }

export interface RecommendedTrack {
  rank: number; track_id: string; title: string; artist: string; genre: string; score: number; reason: string; demoted: boolean;
}

export interface RecommenderServable extends Base {
  type: 'recommender';
  users: number;
  items: number;
  /** the playlist; cold_start when the user has no history the model knows (popular tracks) */
  recommend(userId: string, n: number): { cold_start: boolean; tracks: RecommendedTrack[] };
}

/** The like model: (user, track) questions in, P(like) out; also raw feature rows through its predictor. */
export interface LikeServable extends Base {
  type: 'like';
  predictor: Predictor;
  model: LikeModel;
}

export type Servable = PredictorServable | SpendServable | SegmentServable | RecommenderServable | LikeServable;

/** A registry version as served, checked on load (model-check.ts): a malformed one throws UnloadableModelError. */
export function buildServable(m: LoadedModel): Servable {
  let s: Servable;
  try {
    s = buildUnchecked(m);
  } catch (e) {
    if (e instanceof UnloadableModelError) throw e;
    throw new UnloadableModelError(`malformed model: ${errorLine(e)}`);
  }
  checkAnswers(s);
  return s;
}

function buildUnchecked(m: LoadedModel): Servable {
  const base = { name: m.name, version: m.version, loadedAt: new Date().toISOString() };
  const art = m.artifact as { kind?: string };
  if (art?.kind === 'RetailSpendModel') return spendServable(base, m.artifact as SpendArtifact);
  if (art?.kind === 'RetailSegmentModel') {
    const model = SegmentModel.fromJSON(m.artifact);
    return { ...base, type: 'segment', kind: model.kind, model, predictor: segmentPredictor(model) };
  }
  if (art?.kind === 'music-playlist') {
    // the music pipeline's playlist model (src/analytics/music/playlist.ts)
    const model = PlaylistModel.fromJSON(m.artifact as never);
    model.version = `${m.name}@v${m.version}`; // the artifact predates its version number
    accelerate(model.recommender, (m.artifact as { recommender: SerializedRecommender<any> }).recommender);
    const data = model.recommender.data!;
    return {
      ...base, type: 'recommender', kind: `music-playlist(${model.recommender.kind})`, users: data.nUsers, items: data.nItems,
      recommend(userId, n) {
        const p = recommendForUser(model, userId, n);
        return { cold_start: p.cold_start, tracks: p.tracks };
      },
    };
  }
  if (art?.kind === LIKE_KIND) {
    const model = LikeModel.fromJSON(m.artifact as LikeArtifact);
    checkStructure(model.classifier);
    return { ...base, type: 'like', kind: `music-like(${model.classifier.kind})`, model, predictor: likePredictor(model) };
  }
  if ((RECOMMENDER_KINDS as readonly string[]).includes(art?.kind ?? '')) return recommenderServable(base, m.artifact as SerializedRecommender<any>);
  const predictor = buildPredictor(m.artifact);
  return { ...base, type: 'predictor', kind: predictor.kind, predictor };
}

/**
 * ALS scores are a user's factors against every item's: the serving kernel (WebAssembly SIMD)
 * computes the same dense scores as the estimator's scoreUsers, several times faster, so a
 * playlist over 20,000 tracks stays well under a millisecond. The instance's method is replaced,
 * its contract (unmasked dense scores, users x items) unchanged; other kinds are left as they are.
 */
export function accelerate(rec: Recommender<any>, json: SerializedRecommender<any>): boolean {
  const st = json?.state as { userFactors?: EncodedArray; itemFactors?: EncodedArray } | undefined;
  if (json?.kind !== 'als' || !st?.userFactors || !st.itemFactors || !rec.data) return false;
  const X = decodeArray(st.userFactors), Y = decodeArray(st.itemFactors);
  const nItems = rec.data.nItems, f = Y.length / nItems;
  if (!Number.isInteger(f) || X.length !== rec.data.nUsers * f) return false;
  const scorer = dotScorer(Y as Float32Array | Float64Array, nItems, f);
  (rec as { scoreUsers: Recommender<any>['scoreUsers'] }).scoreUsers = (users: Int32Array) => {
    // one user (a playlist request): the scorer's buffer, which the playlist reads and masks
    // before anything scores again (single-threaded, synchronous)
    if (users.length === 1) return scorer.scoreShared(X.subarray(users[0]! * f, users[0]! * f + f));
    const out = new Float32Array(users.length * nItems);
    users.forEach((u, b) => out.set(scorer.scoreShared(X.subarray(u * f, u * f + f)), b * nItems));
    return out;
  };
  // a playlist only needs the best few items: the quantized kernel finds them without scoring all
  const top = quantizedTopK(Y as Float32Array | Float64Array, nItems, f, scorer);
  if (top) {
    (rec as { topItems: Recommender<any>['topItems'] }).topItems = (u, k, masked, maskedCount, idx, score) =>
      top.topK(X.subarray(u * f, u * f + f), k, masked, maskedCount, idx, score);
  }
  return true;
}

// ---- retail spend ----

interface SpendArtifact {
  kind: 'RetailSpendModel';
  model: string;
  features: string[];
  categories: string[];
  countries: string[];
  horizon_days: number;
  estimator: { kind: string; scaler?: unknown; model?: unknown };
}

function spendServable(base: Omit<Base, 'kind'>, a: SpendArtifact): SpendServable {
  if (!Array.isArray(a.features) || !a.estimator) throw new Error('RetailSpendModel artifact without features or estimator');
  const d = a.features.length;
  let predictMatrix: (X: Matrix) => ArrayLike<number>;
  let predictRow: ((x: Float64Array) => number) | undefined;
  if (a.estimator.kind === 'ScaledRidge') {
    // the "linear" candidate: standard scaling then ridge, serialised as its two parts
    const scaler = StandardScaler.fromJSON(a.estimator.scaler as never);
    const ridge = loadSupervised(a.estimator.model);
    checkStructure(ridge);
    predictMatrix = (X) => ridge.predict(scaler.transform(X));
  } else {
    const est = loadSupervised(a.estimator);
    checkStructure(est);
    warmUp(est);
    predictMatrix = (X) => est.predict(X);
    if ('predictRow' in est) predictRow = (x) => est.predictRow(x);
  }
  // spend is never negative: clipped as in training (src/analytics/retail/spend.ts)
  const clip = (v: number) => (Number.isFinite(v) ? Math.max(0, v) : null);
  const predictVector = (x: Float64Array) => clip(predictRow ? predictRow(x) : predictMatrix({ rows: 1, cols: d, data: x })[0]!) ?? 0;
  const inputs: FeatureSpec[] = a.features.map((name) => ({ name, kind: 'numeric' }));
  const predictor: Predictor = {
    kind: `RetailSpendModel(${a.model})`, task: 'regression', inputs, nullable: false,
    predict(rows) {
      const X = new Float64Array(rows.length * d);
      rows.forEach((r, i) => a.features.forEach((f, j) => { X[i * d + j] = r[f] as number; }));
      if (rows.length === 1) return { predictions: [predictVector(X)] };
      return { predictions: Array.from(predictMatrix({ rows: rows.length, cols: d, data: X }), clip) };
    },
  };
  return {
    ...base, type: 'spend', kind: 'RetailSpendModel', predictor, features: a.features, categories: a.categories ?? [], countries: a.countries ?? [],
    horizonDays: a.horizon_days ?? 90, predictVector,
  };
}

// ---- retail segmentation as feature rows: recency, frequency, monetary and optional mix shares ----

function segmentPredictor(model: SegmentModel): Predictor {
  const cats = model.state.categories;
  const inputs: FeatureSpec[] = [
    { name: 'recency', kind: 'numeric' }, { name: 'frequency', kind: 'numeric' }, { name: 'monetary', kind: 'numeric' },
    ...cats.map((c) => ({ name: `mix_${c}`, kind: 'numeric' as const })),
  ];
  return {
    kind: model.kind, task: 'clustering', inputs, nullable: true,
    predict(rows) {
      const predictions = rows.map((r, i) => {
        for (const f of ['recency', 'frequency', 'monetary'] as const) {
          if (r[f] === null) throw new InputError(`rows[${i}].${f}`, `rows[${i}].${f} must be a finite number >= 0, got null`);
          if ((r[f] as number) < 0) throw new InputError(`rows[${i}].${f}`, `rows[${i}].${f} must be >= 0, got ${r[f]}`);
        }
        const mix: Record<string, number> = {};
        for (const c of cats) {
          const v = r[`mix_${c}`];
          if (v === null || v === undefined) continue;
          if ((v as number) < 0 || (v as number) > 1) throw new InputError(`rows[${i}].mix_${c}`, `rows[${i}].mix_${c} must be a share in [0, 1], got ${v}`);
          mix[c] = v as number;
        }
        return model.matchProfile({ recency: r.recency as number, frequency: r.frequency as number, monetary: r.monetary as number, mix }, 0).segment;
      });
      return { predictions };
    },
  };
}

// ---- the like model on raw feature rows (the LIKE_FEATURES, as GET /v1/models lists them) ----

function likePredictor(model: LikeModel): Predictor {
  const d = LIKE_FEATURES.length;
  return {
    kind: `music-like(${model.classifier.kind})`, task: 'classification', classes: ['0', '1'], nullable: false,
    inputs: LIKE_FEATURES.map((name) => ({ name, kind: 'numeric' })),
    predict(rows) {
      const X = new Float64Array(rows.length * d);
      rows.forEach((r, i) => LIKE_FEATURES.forEach((f, j) => { X[i * d + j] = r[f] as number; }));
      const p = model.probability({ rows: rows.length, cols: d, data: X });
      return { predictions: Array.from(p, (v) => (v >= 0.5 ? '1' : '0')), probabilities: Array.from(p, (v) => [1 - v, v]) };
    },
  };
}

/** The like model's answers to (user, track) questions, with the feature rows it saw. */
export function predictLikes(s: LikeServable, queries: LikeQuery[]): { probabilities: Float64Array; features: Float64Array } {
  const X = s.model.features(queries);
  return { probabilities: s.model.probability(X), features: X.data };
}

// ---- recommenders: the top-N unseen tracks, each with the reason it was picked ----

function recommenderServable(base: Omit<Base, 'kind'>, json: SerializedRecommender<any>): RecommenderServable {
  const rec = recommenderFromJSON(json);
  const data = rec.data!;
  // a bare recommender knows ids only: the most popular items stand in for unknown users
  const counts = data.itemCounts();
  const popular = Array.from({ length: data.nItems }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const track = (i: number, rank: number, score: number, reason: string): RecommendedTrack => ({
    rank, track_id: data.itemIds[i]!, title: data.itemIds[i]!, artist: '?', genre: 'unknown', score, reason, demoted: false,
  });
  return {
    ...base, type: 'recommender', kind: rec.kind, users: data.nUsers, items: data.nItems,
    recommend(userId, n) {
      const u = data.userIndex.get(userId);
      if (u === undefined) return { cold_start: true, tracks: popular.slice(0, n).map((i, k) => track(i, k + 1, 0, 'popular with listeners')) };
      return { cold_start: false, tracks: rec.recommend(u, n).map((p, k) => track(p.index, k + 1, p.score, 'listeners with your taste played it')) };
    },
  };
}
