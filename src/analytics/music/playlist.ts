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
  decodeI32, deserializeInteractions, drainHeap, encodeArray, heapSelect, maskSeen, serializeInteractions,
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
  // ---- precomputed at load, so a request only scores, selects and explains ----
  private artistOf: Int32Array;
  /** per heard user, the strongest positive tracks (up to HISTORY), CSR; histLiked per entry */
  private histPtr: Int32Array;
  private histItem: Int32Array;
  private histLiked: Uint8Array;
  /** reason strings per item, built on first use ("because you liked/played ...") */
  private reasonLiked: (string | undefined)[];
  private reasonPlayed: (string | undefined)[];
  private reasonPopular: string[];
  // ---- per-request scratch, reused (requests run one at a time on the event loop) ----
  private req = 0;
  private heapS = new Float64Array(0);
  private heapI = new Int32Array(0);
  private cand = new Int32Array(0);
  /** scores of cand, position by position */
  private candScore = new Float32Array(0);
  /** the items a request leaves out (the user's history) */
  private masked = new Int32Array(64);
  private artistStamp: Int32Array;
  private artistCount: Int32Array;
  private genreStamp: Int32Array;
  private userStamp: Int32Array;
  private userMask: Int32Array;
  private common = new Int32Array(HISTORY);
  private seenStamp: Int32Array;

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
    const ai = new Map<string, number>();
    this.artistOf = Int32Array.from(this.artist, (a) => { let k = ai.get(a); if (k === undefined) ai.set(a, (k = ai.size)); return k; });
    this.artistStamp = new Int32Array(ai.size); this.artistCount = new Int32Array(ai.size);
    this.genreStamp = new Int32Array(Math.max(1, this.genres.length));
    this.userStamp = new Int32Array(data.nUsers); this.userMask = new Int32Array(data.nUsers);
    this.seenStamp = new Int32Array(data.nItems);
    this.reasonLiked = new Array(data.nItems); this.reasonPlayed = new Array(data.nItems);
    this.reasonPopular = this.genres.map((g) => `a popular ${g} track`);
    // each heard user's history for the reasons: positive tracks by strength, then item index
    const { indptr, indices, data: w } = this.heard.byUser;
    const ptr = new Int32Array(this.heard.nUsers + 1), items: number[] = [], liked: number[] = [];
    const rows: number[] = [];
    for (let u = 0; u < this.heard.nUsers; u++) {
      rows.length = 0;
      for (let k = indptr[u]!; k < indptr[u + 1]!; k++) if (w[k]! > 0) rows.push(k);
      rows.sort((a, b) => w[b]! - w[a]! || indices[a]! - indices[b]!);
      for (let r = 0; r < Math.min(HISTORY, rows.length); r++) { items.push(indices[rows[r]!]!); liked.push(this.liked.has(rows[r]!) ? 1 : 0); }
      ptr[u + 1] = items.length;
    }
    this.histPtr = ptr; this.histItem = Int32Array.from(items); this.histLiked = Uint8Array.from(liked);
  }

  /** Assembles the model from a fitted recommender and the warehouse's tables. */
  static build(b: PlaylistBuild): PlaylistModel {
    const params = { ...PLAYLIST_DEFAULTS, ...b.params };
    if (!Number.isInteger(params.n) || params.n < 1) throw new InvalidInputError(`playlist: n must be a positive integer, got ${params.n}`);
    if (!Number.isInteger(params.maxPerArtist) || params.maxPerArtist < 1) {
      throw new InvalidInputError(`playlist: maxPerArtist must be a positive integer, got ${params.maxPerArtist}`);
    }
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
    const req = this.nextRequest();
    // genres the user keeps skipping, stamped for this request
    if (hu !== undefined) for (let k = this.demotedPtr[hu]!; k < this.demotedPtr[hu + 1]!; k++) this.genreStamp[this.demoted[k]!] = req;
    let chosen: number;
    if (cold) {
      // popularity order, skipping what the user has heard: no scoring, no selection
      if (hu !== undefined) {
        const { indptr, indices } = this.heard.byUser;
        for (let k = indptr[hu]!; k < indptr[hu + 1]!; k++) this.seenStamp[indices[k]!] = req;
      }
      const order = this.ensureCandidates(nItems);
      let m = 0;
      for (let r = 0; r < nItems; r++) { const i = this.popular[r]!; if (this.seenStamp[i] !== req) order[m++] = i; }
      chosen = this.pick(order, m, n, req);
    } else {
      // a short candidate list first: when it fills the playlist without reaching the demoted
      // genres, the full list (10n, at least 100) would give the very same playlist
      const full = Math.min(nItems, Math.max(n * 10, 100));
      const short = Math.min(full, Math.max(n * 3, 30));
      const candidates = this.recommender.topItems ? this.topByKernel(ru, hu) : this.topByScores(ru, hu);
      let m = candidates(short);
      chosen = this.pick(this.cand, m, n, req, true);
      if (chosen < 0) {
        if (short < full) m = candidates(full);
        chosen = this.pick(this.cand, m, n, req);
      }
    }
    const picked = this.picked;
    if (!cold && hu !== undefined && chosen > 0) this.markHistory(hu, req);
    const tracks: PlaylistTrack[] = new Array(chosen);
    for (let k = 0; k < chosen; k++) {
      const i = picked[k]!, g = this.genreOf[i]!;
      tracks[k] = {
        rank: k + 1, track_id: data.itemIds[i]!, title: this.title[i]!, artist: this.artist[i]!, genre: this.genre[i]!,
        score: cold ? 0 : round(this.pickedScore[k]!),
        reason: cold ? COLD_REASON : hu === undefined ? this.popularReason(i) : this.reason(i, hu, req),
        demoted: g >= 0 && this.pickedDemoted[k] === 1,
      };
    }
    return { user_id: userId, cold_start: cold, model: this.version, tracks };
  }

  private picked = new Int32Array(0);
  private pickedDemoted = new Uint8Array(0);
  private pickedScore = new Float32Array(0);

  /** Candidates from dense scores: every item scored, seen ones masked, the best k selected. */
  private topByScores(ru: number, hu: number | undefined): (k: number) => number {
    const data = this.recommender.data!;
    const scores = this.recommender.scoreUsers(Int32Array.of(ru));
    if (hu !== undefined) maskSeen(scores, 0, this.heard.byUser, hu);
    maskSeen(scores, 0, data.byUser, ru);
    return (k) => {
      const m = this.select(scores, data.nItems, k);
      for (let r = 0; r < m; r++) this.candScore[r] = scores[this.cand[r]!]!;
      return m;
    };
  }

  /** Candidates from the recommender's own top-k path (the serving kernel): the same items and scores. */
  private topByKernel(ru: number, hu: number | undefined): (k: number) => number {
    const data = this.recommender.data!;
    let count = 0;
    const add = (m: Csr, u: number) => {
      const lo = m.indptr[u]!, hi = m.indptr[u + 1]!;
      if (this.masked.length < count + hi - lo) { const b = new Int32Array((count + hi - lo) * 2); b.set(this.masked.subarray(0, count)); this.masked = b; }
      this.masked.set(m.indices.subarray(lo, hi), count); count += hi - lo;
    };
    if (hu !== undefined) add(this.heard.byUser, hu);
    add(data.byUser, ru);
    return (k) => {
      this.ensureCandidates(k);
      return this.recommender.topItems!(ru, k, this.masked, count, this.cand, this.candScore);
    };
  }

  private nextRequest(): number {
    if (++this.req >= 0x7fffffff) {
      this.req = 1;
      for (const a of [this.genreStamp, this.userStamp, this.seenStamp]) a.fill(0);
    }
    return this.req;
  }

  /** pick() counts per artist afresh on every call (a retry included) */
  private artistRound = 0;
  private nextArtistRound(): number {
    if (++this.artistRound >= 0x7fffffff) { this.artistRound = 1; this.artistStamp.fill(0); }
    return this.artistRound;
  }

  private ensureCandidates(m: number): Int32Array {
    if (this.cand.length < m) { this.cand = new Int32Array(m); this.candScore = new Float32Array(m); }
    return this.cand;
  }

  /** The best k unmasked items into this.cand, best first; returns how many. */
  private select(scores: Float32Array, nItems: number, k: number): number {
    if (this.heapS.length < k) { this.heapS = new Float64Array(k); this.heapI = new Int32Array(k); }
    const size = heapSelect(scores, 0, nItems, k, this.heapS, this.heapI);
    drainHeap(this.heapS, this.heapI, size, this.ensureCandidates(size));
    return size;
  }

  /**
   * At most maxPerArtist per artist, in candidate order: first the genres the user does not
   * keep skipping, then those only to fill what is left. Into this.picked; returns the count.
   * With `mustFill`, returns -1 instead when the first pass alone does not fill the playlist
   * (the caller then retries with more candidates).
   */
  private pick(cand: Int32Array, m: number, n: number, req: number, mustFill = false): number {
    if (this.picked.length < n) { this.picked = new Int32Array(n); this.pickedDemoted = new Uint8Array(n); this.pickedScore = new Float32Array(n); }
    const cap = this.params.maxPerArtist;
    const round = this.nextArtistRound();
    let c = 0;
    for (let pass = 0; pass < 2 && c < n; pass++) {
      if (pass === 1 && mustFill) return -1;
      const allowDemoted = pass === 1;
      for (let r = 0; r < m && c < n; r++) {
        const i = cand[r]!, g = this.genreOf[i]!;
        const isDemoted = g >= 0 && this.genreStamp[g] === req;
        if (isDemoted !== allowDemoted) continue;
        const a = this.artistOf[i]!;
        if (this.artistStamp[a] !== round) { this.artistStamp[a] = round; this.artistCount[a] = 0; }
        if (this.artistCount[a]! >= cap) continue;
        this.artistCount[a]!++;
        this.picked[c] = i; this.pickedDemoted[c] = isDemoted ? 1 : 0; this.pickedScore[c] = this.candScore[r]!; c++;
      }
    }
    return c;
  }

  /**
   * For the reasons: each listener of the user's history tracks gets a bit per history track
   * they played, so the overlap of a candidate with every history track is one pass over the
   * candidate's listeners (not one sorted-list intersection per history track).
   */
  private markHistory(hu: number, req: number): void {
    const byItem = this.recommender.data!.byItem;
    const lo = this.histPtr[hu]!, hi = this.histPtr[hu + 1]!;
    for (let b = 0; b < hi - lo; b++) {
      const h = this.histItem[lo + b]!, bit = 1 << b;
      for (let k = byItem.indptr[h]!; k < byItem.indptr[h + 1]!; k++) {
        const v = byItem.indices[k]!;
        if (this.userStamp[v] !== req) { this.userStamp[v] = req; this.userMask[v] = bit; } else this.userMask[v]! |= bit;
      }
    }
  }

  /**
   * "because you liked X": the history track whose listeners overlap most (cosine of the binary
   * listener vectors) with the candidate's; ties go to the stronger history track.
   */
  private reason(i: number, hu: number, req: number): string {
    const byItem = this.recommender.data!.byItem;
    const lo = this.histPtr[hu]!, nh = this.histPtr[hu + 1]! - lo;
    const ci = byItem.indptr[i]!, ce = byItem.indptr[i + 1]!, nb = ce - ci;
    if (nh === 0 || nb === 0) return this.popularReason(i);
    const common = this.common;
    common.fill(0, 0, nh);
    for (let k = ci; k < ce; k++) {
      const v = byItem.indices[k]!;
      if (this.userStamp[v] !== req) continue;
      let m = this.userMask[v]!;
      while (m !== 0) { const low = m & -m; common[31 - Math.clz32(low)]!++; m ^= low; }
    }
    let best = -1, bestSim = 0;
    for (let b = 0; b < nh; b++) {
      if (common[b] === 0) continue;
      const h = this.histItem[lo + b]!;
      const s = common[b]! / Math.sqrt((byItem.indptr[h + 1]! - byItem.indptr[h]!) * nb);
      if (s > bestSim) { bestSim = s; best = b; }
    }
    if (best < 0) return this.popularReason(i);
    const h = this.histItem[lo + best]!;
    if (this.histLiked[lo + best]) return (this.reasonLiked[h] ??= `because you liked "${this.title[h]}" by ${this.artist[h]}`);
    return (this.reasonPlayed[h] ??= `because you played "${this.title[h]}" by ${this.artist[h]}`);
  }

  private popularReason(i: number): string {
    const g = this.genreOf[i]!;
    return g >= 0 ? this.reasonPopular[g]! : `a popular ${this.genre[i]} track`;
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
    if (json?.kind !== 'music-playlist') {
      throw new InvalidInputError(`PlaylistModel.fromJSON: expected kind "music-playlist", got ${JSON.stringify(json?.kind)}`);
    }
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

const round = (x: number) => Math.round(x * 1e4) / 1e4;
/** history tracks considered for a reason (one bit each in a 32-bit mask) */
const HISTORY = 30;
const COLD_REASON = 'popular with listeners (new listener: not enough history yet)';
