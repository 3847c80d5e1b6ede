// "Recommended for you": a fitted recommender plus what a playlist needs around it (every track
// each user has heard, the catalogue's artists and genres, the genres each user keeps skipping),
// serialisable as one JSON artifact for the model registry.
//
// For the serving layer: `const model = PlaylistModel.fromJSON(artifact)` once, then
// `recommendForUser(model, userId, n)` per request. It scores one user against the catalogue
// (a dot product per track for ALS), so it answers in well under a millisecond per user at
// demo scale; it never throws for an unknown user (they get the cold-start playlist).
import { InvalidInputError } from '../../ml/core/errors.ts';
import { Interactions, type Csr } from '../../ml/recsys/interactions.ts';
import {
  decodeI32, deserializeInteractions, encodeArray, maskSeen, serializeInteractions, topN,
  type EncodedArray, type Recommender, type SerializedInteractions, type SerializedRecommender,
} from '../../ml/recsys/recommender.ts';
import { recommenderFromJSON } from '../../ml/recsys/registry.ts';
import type { GenreSkips, InteractionRows, TrackInfo } from './features.ts';

export interface PlaylistTrack {
  rank: number;
  track_id: string;
  title: string;
  artist: string;
  genre: string;
  score: number;
  /** a short explanation: "because you liked X", or why a popular track was chosen */
  reason: string;
  /** true when the track's genre is one the user keeps skipping (only used to fill the list) */
  demoted: boolean;
}

export interface Playlist {
  user_id: string;
  /** the user has no listening history the model knows: popular tracks instead */
  cold_start: boolean;
  model: string;
  tracks: PlaylistTrack[];
}

export interface PlaylistParams {
  /** playlist length (default 20) */
  n: number;
  /** at most this many tracks by one artist (default 2) */
  maxPerArtist: number;
  /** a genre is demoted for a user with at least this many skips in it (default 3) ... */
  minGenreSkips: number;
  /** ... and at least this skip rate (default 0.5) */
  genreSkipRate: number;
}

export const PLAYLIST_DEFAULTS: PlaylistParams = { n: 20, maxPerArtist: 2, minGenreSkips: 3, genreSkipRate: 0.5 };

export interface PlaylistBuild {
  recommender: Recommender<any>;
  /** every (user, track) pair heard, with its strength (likes recorded separately) */
  heard: InteractionRows;
  /** pairs the user liked, for the reasons */
  liked?: { users: string[]; items: string[] };
  tracks: TrackInfo[];
  genreSkips: GenreSkips[];
  params?: Partial<PlaylistParams>;
  /** a name for the model in playlists and events, e.g. "music-recommender@v3" */
  version?: string;
}

interface SerializedPlaylistModel {
  kind: 'music-playlist';
  format: 1;
  version: string;
  params: PlaylistParams;
  recommender: SerializedRecommender<any>;
  heard: SerializedInteractions;
  /** positions in heard's CSR of liked pairs */
  liked: EncodedArray;
  tracks: { title: string[]; artist: string[]; genre: string[] };
  genres: string[];
  /** per heard user: demoted genre indices, CSR */
  demotedPtr: EncodedArray;
  demoted: EncodedArray;
}

export class PlaylistModel {
  readonly params: PlaylistParams;
  /** shown in playlists and recommendation_shown events; set it to "name@vN" after loading from the registry */
  version: string;
  /** heard pairs in the recommender's item index space, over every user with history */
  private heard: Interactions;
  private liked: Set<number>;
  private title: string[];
  private artist: string[];
  private genre: string[];
  private genres: string[];
  private genreOf: Int32Array;
  private demotedPtr: Int32Array;
  private demoted: Int32Array;
  /** item indices by popularity (training users per item), most popular first */
  private popular: Int32Array;

  private constructor(readonly recommender: Recommender<any>, parts: {
    params: PlaylistParams; version: string; heard: Interactions; liked: Set<number>;
    title: string[]; artist: string[]; genre: string[]; genres: string[]; demotedPtr: Int32Array; demoted: Int32Array;
  }) {
    const data = recommender.data;
    if (!data) throw new InvalidInputError('PlaylistModel: the recommender is not fitted');
    this.params = parts.params; this.version = parts.version; this.heard = parts.heard; this.liked = parts.liked;
    this.title = parts.title; this.artist = parts.artist; this.genre = parts.genre; this.genres = parts.genres;
    this.demotedPtr = parts.demotedPtr; this.demoted = parts.demoted;
    const gi = new Map(this.genres.map((g, k) => [g, k]));
    this.genreOf = Int32Array.from(this.genre, (g) => gi.get(g) ?? -1);
    const counts = data.itemCounts();
    this.popular = Int32Array.from(Array.from({ length: data.nItems }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b));
  }

  /** Assembles the model from a fitted recommender and the warehouse's tables. */
  static build(b: PlaylistBuild): PlaylistModel {
    const params = { ...PLAYLIST_DEFAULTS, ...b.params };
    if (!Number.isInteger(params.n) || params.n < 1) throw new InvalidInputError(`playlist: n must be a positive integer, got ${params.n}`);
    if (!Number.isInteger(params.maxPerArtist) || params.maxPerArtist < 1) throw new InvalidInputError(`playlist: maxPerArtist must be a positive integer, got ${params.maxPerArtist}`);
    const data = b.recommender.data;
    if (!data) throw new InvalidInputError('PlaylistModel.build: the recommender is not fitted');
    // heard pairs restricted to the recommender's items (others can never be recommended)
    const hu: string[] = [], hi: string[] = [], hw: number[] = [];
    for (let r = 0; r < b.heard.users.length; r++) {
      if (!data.itemIndex.has(b.heard.items[r]!)) continue;
      hu.push(b.heard.users[r]!); hi.push(b.heard.items[r]!); hw.push(Number(b.heard.weights?.[r] ?? 1));
    }
    const heard = Interactions.fromTriples({ users: hu, items: hi, weights: hw }, { itemIds: data.itemIds, duplicates: 'sum', transpose: false });
    const liked = new Set<number>();
    if (b.liked) {
      for (let r = 0; r < b.liked.users.length; r++) {
        const u = heard.userIndex.get(b.liked.users[r]!), i = heard.itemIndex.get(b.liked.items[r]!);
        if (u === undefined || i === undefined) continue;
        const pos = findInRow(heard.byUser, u, i);
        if (pos >= 0) liked.add(pos);
      }
    }
    const byId = new Map(b.tracks.map((t) => [t.track_id, t]));
    const info = data.itemIds.map((id) => byId.get(id));
    const genres = [...new Set(b.tracks.map((t) => t.genre))].sort();
    const gi = new Map(genres.map((g, k) => [g, k]));
    const demotedBy = new Map<string, number[]>();
    for (const s of b.genreSkips) {
      if (s.skips >= params.minGenreSkips && (s.skip_rate ?? 0) >= params.genreSkipRate && gi.has(s.genre)) {
        let l = demotedBy.get(s.user_id);
        if (!l) demotedBy.set(s.user_id, (l = []));
        l.push(gi.get(s.genre)!);
      }
    }
    const demotedPtr = new Int32Array(heard.nUsers + 1);
    const dem: number[] = [];
    for (let u = 0; u < heard.nUsers; u++) {
      for (const g of demotedBy.get(heard.userIds[u]!) ?? []) dem.push(g);
      demotedPtr[u + 1] = dem.length;
    }
    return new PlaylistModel(b.recommender, {
      params, version: b.version ?? b.recommender.kind, heard, liked,
      title: info.map((t, i) => t?.title ?? data.itemIds[i]!), artist: info.map((t) => t?.artist ?? '?'), genre: info.map((t) => t?.genre ?? 'unknown'),
      genres, demotedPtr, demoted: Int32Array.from(dem),
    });
  }

  /** Users with any history (heard tracks), whether or not the recommender knows them. */
  get userIds(): readonly string[] { return this.heard.userIds; }

  /** Genres the user keeps skipping (demoted in their playlist). */
  demotedGenres(userId: string): string[] {
    const u = this.heard.userIndex.get(userId);
    if (u === undefined) return [];
    return Array.from(this.demoted.subarray(this.demotedPtr[u]!, this.demotedPtr[u + 1]!), (g) => this.genres[g]!);
  }

  /** One user's playlist: see recommendForUser. */
  playlist(userId: string, n: number = this.params.n): Playlist {
    if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`playlist: n must be a positive integer, got ${n}`);
    const data = this.recommender.data!;
    const nItems = data.nItems;
    const hu = this.heard.userIndex.get(userId);
    const ru = data.userIndex.get(userId);
    const cold = ru === undefined;
    let scores: Float32Array;
    if (cold) {
      // rank by popularity: a descending score per popularity rank
      scores = new Float32Array(nItems);
      for (let r = 0; r < nItems; r++) scores[this.popular[r]!] = nItems - r;
    } else scores = this.recommender.scoreUsers(Int32Array.of(ru));
    if (hu !== undefined) maskSeen(scores, 0, this.heard.byUser, hu);
    if (ru !== undefined) maskSeen(scores, 0, data.byUser, ru);
    const demoted = new Set<number>(hu === undefined ? [] : this.demoted.subarray(this.demotedPtr[hu]!, this.demotedPtr[hu + 1]!));
    // candidates: enough to survive the artist cap and the demotion
    const candidates = topN(scores, 0, nItems, Math.min(nItems, Math.max(n * 10, 100)));
    const perArtist = new Map<string, number>();
    const chosen: { i: number; demoted: boolean }[] = [];
    const take = (allowDemoted: boolean) => {
      for (const i of candidates) {
        if (chosen.length >= n) return;
        const isDemoted = demoted.has(this.genreOf[i]!);
        if (isDemoted !== allowDemoted) continue;
        const a = this.artist[i]!;
        if ((perArtist.get(a) ?? 0) >= this.params.maxPerArtist) continue;
        perArtist.set(a, (perArtist.get(a) ?? 0) + 1);
        chosen.push({ i, demoted: isDemoted });
      }
    };
    take(false);
    take(true); // skipped genres only fill what is left
    const history = hu === undefined ? [] : this.historyOf(hu);
    return {
      user_id: userId, cold_start: cold, model: this.version,
      tracks: chosen.map(({ i, demoted: d }, k) => ({
        rank: k + 1, track_id: data.itemIds[i]!, title: this.title[i]!, artist: this.artist[i]!, genre: this.genre[i]!,
        score: cold ? 0 : round(scores[i]!), reason: cold ? `popular with listeners (new listener: not enough history yet)` : this.reason(i, history), demoted: d,
      })),
    };
  }

  /** The user's strongest positive tracks (up to 30), for the reasons. */
  private historyOf(hu: number): { item: number; liked: boolean }[] {
    const { indptr, indices, data } = this.heard.byUser;
    const rows: { item: number; liked: boolean; w: number }[] = [];
    for (let k = indptr[hu]!; k < indptr[hu + 1]!; k++) if (data[k]! > 0) rows.push({ item: indices[k]!, liked: this.liked.has(k), w: data[k]! });
    rows.sort((a, b) => b.w - a.w || a.item - b.item);
    return rows.slice(0, 30);
  }

  /** "because you liked X": the history track whose listeners overlap most with the candidate's. */
  private reason(i: number, history: { item: number; liked: boolean }[]): string {
    const byItem = this.recommender.data!.byItem;
    let best = -1, bestSim = 0, bestLiked = false;
    for (const h of history) {
      const s = cosine(byItem, h.item, i);
      if (s > bestSim) { bestSim = s; best = h.item; bestLiked = h.liked; }
    }
    if (best < 0) return `a popular ${this.genre[i]} track`;
    return `because you ${bestLiked ? 'liked' : 'played'} "${this.title[best]}" by ${this.artist[best]}`;
  }

  toJSON(): SerializedPlaylistModel {
    return {
      kind: 'music-playlist', format: 1, version: this.version, params: this.params,
      recommender: this.recommender.toJSON(), heard: serializeInteractions(this.heard),
      liked: encodeArray(Int32Array.from([...this.liked].sort((a, b) => a - b))),
      tracks: { title: this.title, artist: this.artist, genre: this.genre }, genres: this.genres,
      demotedPtr: encodeArray(this.demotedPtr), demoted: encodeArray(this.demoted),
    };
  }

  static fromJSON(json: SerializedPlaylistModel): PlaylistModel {
    if (json?.kind !== 'music-playlist') throw new InvalidInputError(`PlaylistModel.fromJSON: expected kind "music-playlist", got ${JSON.stringify(json?.kind)}`);
    if (json.format !== 1) throw new InvalidInputError(`PlaylistModel.fromJSON: unsupported format ${JSON.stringify(json.format)}`);
    const recommender = recommenderFromJSON(json.recommender);
    const heard = deserializeInteractions(json.heard);
    return new PlaylistModel(recommender, {
      params: json.params, version: json.version, heard, liked: new Set(decodeI32(json.liked)),
      title: json.tracks.title, artist: json.tracks.artist, genre: json.tracks.genre, genres: json.genres,
      demotedPtr: decodeI32(json.demotedPtr), demoted: decodeI32(json.demoted),
    });
  }
}

/**
 * The serving entry point: user `userId`'s "Recommended for you" playlist of `n` tracks (default
 * the model's n) from a fitted model held in memory. Tracks are never ones the user has heard,
 * at most `maxPerArtist` per artist, genres the user keeps skipping only fill the end, each with
 * a reason. Unknown users get popular tracks with `cold_start: true`.
 */
export function recommendForUser(model: PlaylistModel, userId: string, n?: number): Playlist {
  return model.playlist(userId, n);
}

function findInRow(m: Csr, u: number, i: number): number {
  let lo = m.indptr[u]!, hi = m.indptr[u + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1, v = m.indices[mid]!;
    if (v === i) return mid;
    if (v < i) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

/** Cosine of two items' (binary) user vectors: a sorted-list intersection. */
function cosine(byItem: Csr, a: number, b: number): number {
  let p = byItem.indptr[a]!, q = byItem.indptr[b]!;
  const pe = byItem.indptr[a + 1]!, qe = byItem.indptr[b + 1]!;
  const na = pe - p, nb = qe - q;
  if (!na || !nb) return 0;
  let common = 0;
  while (p < pe && q < qe) {
    const x = byItem.indices[p]!, y = byItem.indices[q]!;
    if (x === y) { common++; p++; q++; } else if (x < y) p++; else q++;
  }
  return common / Math.sqrt(na * nb);
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
