// The like model's features, defined once. A LikeFeatureState is what the warehouse knew at one
// instant (the music SQL models run over the events before it, see modelSqlAsOf) plus an ALS
// model fitted on the listening before it, packed into lookup tables. Training computes each
// example's row from the state at its cutoff; the served model computes a request's row from
// the state at the end of its data, with the same function (row), so training and serving
// cannot disagree on what a feature means.
import { Interactions } from '../../ml/recsys/interactions.ts';
import { createRecommender } from '../../ml/recsys/registry.ts';
import { decodeArray, encodeArray, type EncodedArray } from '../../ml/recsys/recommender.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { modelSqlAsOf } from './features.ts';

export const LIKE_FEATURES = [
  'als_score', 'als_known', 'track_skip_rate', 'track_completion_rate', 'track_log_plays', 'track_like_rate',
  'genre_affinity', 'genre_skip_rate', 'genre_share', 'hour_share', 'prior_strength', 'prior_plays',
  'transition_skip_rate', 'user_like_rate',
] as const;

/** One (user, track) question: the hour it is asked at and the genre played just before (same session), if any. */
export interface LikeQuery { user_id: string; track_id: string; hour_of_day: number; prev_genre: string | null }

/** The state as JSON: columnar tables (nulls kept), ALS factors base64 encoded. */
export interface LikeStateJSON {
  as_of: string;
  factors: number;
  als_users: string[];
  als_items: string[];
  user_factors: EncodedArray;
  item_factors: EncodedArray;
  /** track_id, genre, skip_rate, completion_rate, plays, likes */
  tracks: [string[], (string | null)[], (number | null)[], (number | null)[], number[], number[]];
  /** user_id, genre, affinity, skip_rate, share */
  user_genres: [string[], string[], number[], (number | null)[], number[]];
  /** user_id, hour_of_day, share */
  user_hours: [string[], number[], number[]];
  /** user_id, track_id, strength, plays: listening before as_of */
  prior: [string[], string[], number[], number[]];
  /** prev_genre, genre, skip_rate */
  transitions: [string[], string[], number[]];
  /** user_id, like_rate */
  user_likes: [string[], number[]];
}

const key = (a: string, b: string | number) => `${a}\u0000${b}`;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export class LikeFeatureState {
  private readonly userIndex: Map<string, number>;
  private readonly itemIndex: Map<string, number>;
  private readonly X: Float32Array | Float64Array;
  private readonly Y: Float32Array | Float64Array;
  private readonly tracks = new Map<string, { genre: string | null; skip: number | null; completion: number | null; plays: number; likes: number }>();
  private readonly genres = new Map<string, { affinity: number; skip: number | null; share: number }>();
  private readonly hours = new Map<string, number>();
  private readonly prior = new Map<string, { strength: number; plays: number }>();
  private readonly transitions = new Map<string, number>();
  private readonly likeRates = new Map<string, number>();

  private constructor(readonly json: LikeStateJSON) {
    const j = json;
    this.userIndex = new Map(j.als_users.map((u, i) => [u, i]));
    this.itemIndex = new Map(j.als_items.map((t, i) => [t, i]));
    this.X = decodeArray(j.user_factors) as Float32Array | Float64Array;
    this.Y = decodeArray(j.item_factors) as Float32Array | Float64Array;
    if (this.X.length !== j.als_users.length * j.factors || this.Y.length !== j.als_items.length * j.factors) {
      throw new Error('like features: ALS factor shapes do not match their ids');
    }
    j.tracks[0].forEach((t, i) => this.tracks.set(t, {
      genre: j.tracks[1][i]!,
      skip: j.tracks[2][i]!,
      completion: j.tracks[3][i]!,
      plays: j.tracks[4][i]!,
      likes: j.tracks[5][i]!,
    }));
    j.user_genres[0].forEach((u, i) => this.genres.set(key(u, j.user_genres[1][i]!), {
      affinity: j.user_genres[2][i]!,
      skip: j.user_genres[3][i]!,
      share: j.user_genres[4][i]!,
    }));
    j.user_hours[0].forEach((u, i) => this.hours.set(key(u, j.user_hours[1][i]!), j.user_hours[2][i]!));
    j.prior[0].forEach((u, i) => this.prior.set(key(u, j.prior[1][i]!), { strength: j.prior[2][i]!, plays: j.prior[3][i]! }));
    j.transitions[0].forEach((g, i) => this.transitions.set(key(g, j.transitions[1][i]!), j.transitions[2][i]!));
    j.user_likes[0].forEach((u, i) => this.likeRates.set(u, j.user_likes[1][i]!));
  }

  static fromJSON(json: LikeStateJSON): LikeFeatureState { return new LikeFeatureState(json); }
  toJSON(): LikeStateJSON { return this.json; }

  get asOf(): string { return this.json.as_of; }
  get users(): number { return this.json.als_users.length; }
  get items(): number { return this.json.tracks[0].length; }

  /** A track's genre as the state knows it (null for a track outside the catalogue). */
  genreOf(trackId: string): string | null { return this.tracks.get(trackId)?.genre ?? null; }
  knowsTrack(trackId: string): boolean { return this.tracks.has(trackId); }
  /** the user has listening before the state's instant */
  knowsUser(userId: string): boolean { return this.likeRates.has(userId); }

  /**
   * The feature row of one query, written into out[offset..offset + LIKE_FEATURES.length). A
   * missing statistic takes the value training gave it: -1 for an unknown rate, 0 for a share
   * or a count.
   */
  row(q: LikeQuery, out: Float64Array, offset = 0): void {
    const t = this.tracks.get(q.track_id);
    const genre = t?.genre ?? null;
    const g = genre === null ? undefined : this.genres.get(key(q.user_id, genre));
    const p = this.prior.get(key(q.user_id, q.track_id));
    const u = this.userIndex.get(q.user_id), i = this.itemIndex.get(q.track_id);
    let score = 0;
    if (u !== undefined && i !== undefined) {
      const f = this.json.factors;
      for (let k = 0; k < f; k++) score += this.X[u * f + k]! * this.Y[i * f + k]!;
    }
    const tr = q.prev_genre !== null && genre !== null ? this.transitions.get(key(q.prev_genre, genre)) : undefined;
    const v = [
      score, u !== undefined && i !== undefined ? 1 : 0,
      t?.skip ?? -1, t?.completion ?? -1, Math.log(1 + (t?.plays ?? 0)), t && t.plays > 0 ? t.likes / t.plays : -1,
      g?.affinity ?? 0, g?.skip ?? -1, g?.share ?? 0, this.hours.get(key(q.user_id, q.hour_of_day)) ?? 0,
      p?.strength ?? 0, p?.plays ?? 0, q.prev_genre !== null ? tr ?? -1 : -1, this.likeRates.get(q.user_id) ?? 0,
    ];
    for (let k = 0; k < v.length; k++) out[offset + k] = v[k]!;
  }
}

/**
 * What the warehouse knew at `asOf` (events strictly before it), with an ALS model (params `als`)
 * fitted on the positive listening before it. Needs the music SQL models' inputs built
 * (curated.plays, curated.likes, curated.tracks).
 */
export async function loadLikeState(wh: Warehouse, asOf: string, opts: { als?: Record<string, unknown>; seed?: number } = {}): Promise<LikeFeatureState> {
  const asof = (table: string) => `(${modelSqlAsOf(table, asOf)})`;
  const daily = asof('curated.music_interactions_daily');
  // one after the other: a DuckDB connection runs one query at a time
  const [tracks, genres, hours, prior, transitions, likes] = [
    await wh.query<Record<string, unknown>>(`SELECT track_id, genre, skip_rate::DOUBLE AS skip_rate, ` +
      `completion_rate::DOUBLE AS completion_rate, plays::DOUBLE AS plays, likes::DOUBLE AS likes ` +
      `FROM ${asof('curated.music_track_stats')} s ORDER BY track_id`),
    await wh.query<Record<string, unknown>>(`SELECT user_id, genre, affinity::DOUBLE AS affinity, skip_rate::DOUBLE AS ` +
      `skip_rate, share::DOUBLE AS share FROM ${asof('curated.music_user_genres')} s WHERE genre IS NOT NULL ORDER BY 1, 2`),
    await wh.query<Record<string, unknown>>(`SELECT user_id, hour_of_day::INT AS hour_of_day, share::DOUBLE AS share ` +
      `FROM ${asof('curated.music_user_hours')} s ORDER BY 1, 2`),
    await wh.query<Record<string, unknown>>(`SELECT user_id, track_id, sum(strength)::DOUBLE AS strength, ` +
      `sum(plays)::DOUBLE AS plays FROM ${daily} d GROUP BY 1, 2 ORDER BY 1, 2`),
    await wh.query<Record<string, unknown>>(`SELECT prev_genre, genre, skip_rate::DOUBLE AS skip_rate ` +
      `FROM ${asof('curated.music_genre_transitions')} s ORDER BY 1, 2`),
    await wh.query<Record<string, unknown>>(`SELECT user_id, (sum(likes) / greatest(sum(plays), 1))::DOUBLE AS ` +
      `like_rate FROM ${daily} d GROUP BY 1 ORDER BY 1`),
  ];
  const positive = prior.filter((r) => Number(r.strength) > 0);
  const factors = Number(opts.als?.factors ?? 32);
  let alsUsers: string[] = [], alsItems: string[] = [];
  let X: Float32Array | Float64Array = new Float32Array(0), Y: Float32Array | Float64Array = new Float32Array(0);
  if (positive.length) {
    const data = Interactions.fromTriples({
      users: positive.map((r) => String(r.user_id)),
      items: positive.map((r) => String(r.track_id)),
      weights: positive.map((r) => Number(r.strength)),
    });
    const als = await createRecommender('als', { factors: 32, iterations: 10, ...opts.als, seed: opts.seed ?? 0 }).fit(data);
    const st = (als.toJSON().state ?? {}) as { userFactors: EncodedArray; itemFactors: EncodedArray };
    X = decodeArray(st.userFactors) as Float32Array; Y = decodeArray(st.itemFactors) as Float32Array;
    alsUsers = data.userIds.slice(); alsItems = data.itemIds.slice();
  }
  const col = <T>(rows: Record<string, unknown>[], k: string, f: (v: unknown) => T) => rows.map((r) => f(r[k]));
  const s = String;
  return LikeFeatureState.fromJSON({
    as_of: asOf, factors: alsUsers.length ? X.length / alsUsers.length : factors, als_users: alsUsers, als_items: alsItems,
    user_factors: encodeArray(X), item_factors: encodeArray(Y),
    tracks: [
      col(tracks, 'track_id', s),
      col(tracks, 'genre', (v) => (v === null ? null : String(v))),
      col(tracks, 'skip_rate', num),
      col(tracks, 'completion_rate', num),
      col(tracks, 'plays', Number),
      col(tracks, 'likes', Number),
    ],
    user_genres: [
      col(genres, 'user_id', s),
      col(genres, 'genre', s),
      col(genres, 'affinity', Number),
      col(genres, 'skip_rate', num),
      col(genres, 'share', Number),
    ],
    user_hours: [col(hours, 'user_id', s), col(hours, 'hour_of_day', Number), col(hours, 'share', Number)],
    prior: [col(prior, 'user_id', s), col(prior, 'track_id', s), col(prior, 'strength', Number), col(prior, 'plays', Number)],
    transitions: [col(transitions, 'prev_genre', s), col(transitions, 'genre', s), col(transitions, 'skip_rate', Number)],
    user_likes: [col(likes, 'user_id', s), col(likes, 'like_rate', Number)],
  });
}

/** The instant just after the newest play or like: a state at it has seen everything. */
export async function dataEnd(wh: Warehouse): Promise<string> {
  const [r] = await wh.query<{ hi:
    | number
    | null; }>(`SELECT epoch_ms(greatest((SELECT max(ts) FROM curated.plays), (SELECT max(ts) FROM curated.likes)))::DOUBLE AS hi`);
  if (r?.hi === null || r?.hi === undefined) throw new Error('like model: curated.plays is empty');
  return new Date(Number(r.hi) + 1).toISOString();
}
