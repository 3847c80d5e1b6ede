// The music world's catalogue (music.ts): artists with heavy-tailed popularity and one main
// genre each, their tracks (Zipf-ish over artists, genre mostly the artist's), and the indices
// the listening simulation draws from (by genre, by artist, by popularity).
import type { Faker } from '@faker-js/faker';
import type { Rng } from '../../ml/core/rng.ts';
import { clamp, cumulative, exponential, pick } from './common.ts';

export interface Track {
  track_id: string;
  title: string;
  artist_id: string;
  artist: string;
  genre: string;
  bpm: number;
  duration_ms: number;
  release_year: number;
  /** popularity prior, percentile 0-100 of the catalogue's (heavy-tailed) popularity */
  popularity: number;
}

interface GenreSpec {
  name: string;
  bpm: [number, number];
  /** duration range in seconds */
  dur: [number, number];
  /** words a user might type when searching the genre */
  words: string[];
  /** >0: liked more by younger users, <0: by older users */
  ageLean: number;
  /** share of the catalogue */
  share: number;
}

export const GENRES: readonly GenreSpec[] = [
  { name: 'pop', bpm: [95, 130], dur: [170, 230], words: ['pop', 'pop hits', 'top hits'], ageLean: 0.6, share: 1.6 },
  { name: 'rock', bpm: [100, 150], dur: [190, 290], words: ['rock', 'guitar rock', 'classic rock'], ageLean: -0.3, share: 1.3 },
  { name: 'hip-hop', bpm: [80, 100], dur: [160, 250], words: ['hip hop', 'rap', 'beats'], ageLean: 1, share: 1.3 },
  { name: 'electronic', bpm: [118, 140], dur: [200, 400], words: ['edm', 'house', 'techno'], ageLean: 0.8, share: 1.2 },
  { name: 'jazz', bpm: [70, 170], dur: [230, 450], words: ['jazz', 'smooth jazz', 'bebop'], ageLean: -1, share: 0.6 },
  { name: 'classical', bpm: [50, 130], dur: [240, 720], words: ['classical', 'piano', 'symphony'], ageLean: -1.2, share: 0.6 },
  { name: 'country', bpm: [80, 125], dur: [170, 240], words: ['country', 'country roads', 'americana'], ageLean: -0.6, share: 0.8 },
  { name: 'r&b', bpm: [65, 100], dur: [180, 260], words: ['r&b', 'soul', 'rnb'], ageLean: 0.3, share: 0.9 },
  { name: 'metal', bpm: [110, 200], dur: [210, 380], words: ['metal', 'heavy metal', 'thrash'], ageLean: 0.1, share: 0.6 },
  { name: 'folk', bpm: [70, 120], dur: [170, 280], words: ['folk', 'acoustic', 'singer songwriter'], ageLean: -0.7, share: 0.6 },
  { name: 'latin', bpm: [90, 130], dur: [170, 240], words: ['latin', 'reggaeton', 'salsa'], ageLean: 0.5, share: 0.8 },
  { name: 'indie', bpm: [90, 140], dur: [180, 270], words: ['indie', 'indie rock', 'alternative'], ageLean: 0.4, share: 0.9 },
];
export const G = GENRES.length;


/** The catalogue as the simulation reads it: per track and per artist arrays, cumulative weights. */
export interface Catalogue {
  trackGenre: Uint8Array;
  trackArtist: Int32Array;
  trackPop: Float64Array; // raw, heavy-tailed
  trackPopZ: Float64Array; // standardised log popularity
  duration: Int32Array;
  globalCum: Float64Array;
  genreTracks: Int32Array[];
  genreCum: Float64Array[];
  artistTracks: Int32Array[];
  artistCum: Float64Array[];
  artistGenre: Uint8Array;
  artistNames: string[];
  genreArtists: Int32Array[];
  genreArtistCum: Float64Array[];
}

function cap(s: string): string {
  return s.length ? s[0]!.toUpperCase() + s.slice(1) : s;
}


/** Draws the catalogue of a world with nTracks tracks (the world's first draws from rng and faker). */
export function makeCatalogue(rng: Rng, faker: Faker, nTracks: number, start: number): { tracks: Track[]; cat: Catalogue } {
  // ---- artists: heavy-tailed popularity, one main genre each
  const nArtists = Math.max(G, Math.round(nTracks / 8));
  const genreShareCum = cumulative(GENRES.map((g) => g.share));
  const artistGenre = new Uint8Array(nArtists);
  const artistPop = new Float64Array(nArtists);
  const artistNames: string[] = [];
  const usedNames = new Set<string>();
  for (let a = 0; a < nArtists; a++) {
    // the first artists cover every genre, so no genre is empty in a small world
    artistGenre[a] = a < G ? a : pick(genreShareCum, rng.random());
    artistPop[a] = Math.exp(1.1 * rng.normal());
    let name = '';
    for (let tries = 0; tries < 6 && (name === '' || usedNames.has(name)); tries++) {
      const r = rng.random();
      name = r < 0.35 ? faker.music.artist()
        : r < 0.6 ? `The ${cap(faker.word.adjective())} ${cap(faker.word.noun())}s`
        : r < 0.9 ? faker.person.fullName()
        : `${GENRES[artistGenre[a]!]!.name === 'electronic' ? 'DJ' : 'MC'} ${faker.person.firstName()}`;
    }
    if (usedNames.has(name)) name = `${name} ${a}`;
    usedNames.add(name);
    artistNames.push(name);
  }

  // ---- tracks: Zipf-ish assignment to artists, genre mostly the artist's
  const artistCumAll = cumulative(artistPop);
  const tracks: Track[] = [];
  const trackGenre = new Uint8Array(nTracks);
  const trackArtist = new Int32Array(nTracks);
  const trackPop = new Float64Array(nTracks);
  const duration = new Int32Array(nTracks);
  const startYear = new Date(start).getUTCFullYear();
  for (let t = 0; t < nTracks; t++) {
    const a = t < nArtists ? t : pick(artistCumAll, rng.random());
    const g = rng.random() < 0.9 ? artistGenre[a]! : pick(genreShareCum, rng.random());
    const spec = GENRES[g]!;
    trackArtist[t] = a; trackGenre[t] = g;
    trackPop[t] = artistPop[a]! * Math.exp(0.8 * rng.normal());
    const dur = Math.round(1000 * (spec.dur[0] + (spec.dur[1] - spec.dur[0]) * rng.random()) + 5000 * rng.normal());
    duration[t] = clamp(dur, 45_000, 1_200_000);
    const oldish = spec.name === 'classical' || spec.name === 'jazz' ? 25 : 9;
    const title = rng.random() < 0.4 ? faker.music.songName() : `${cap(faker.word.adjective())} ${cap(faker.word.noun())}`;
    tracks.push({
      track_id: `t${t + 1}`,
      title,
      artist_id: `a${a + 1}`,
      artist: artistNames[a]!,
      genre: spec.name,
      bpm: Math.round(10 * (spec.bpm[0] + (spec.bpm[1] - spec.bpm[0]) * rng.random())) / 10,
      duration_ms: duration[t]!,
      release_year: clamp(Math.round(startYear - exponential(rng, oldish)), 1950, startYear),
      popularity: 0,
    });
  }
  // popularity prior as a percentile of the heavy-tailed raw popularity
  const order = Array.from({ length: nTracks }, (_, i) => i).sort((x, y) => trackPop[x]! - trackPop[y]! || x - y);
  order.forEach((t, r) => { tracks[t]!.popularity = nTracks > 1 ? Math.round((100 * r) / (nTracks - 1)) : 100; });
  const logPop = Array.from(trackPop, Math.log);
  const meanLog = logPop.reduce((s, v) => s + v, 0) / nTracks;
  const sdLog = Math.sqrt(logPop.reduce((s, v) => s + (v - meanLog) ** 2, 0) / nTracks) || 1;
  const trackPopZ = Float64Array.from(logPop, (v) => (v - meanLog) / sdLog);

  const group = (n: number, key: (i: number) => number, count: number) => {
    const lists: number[][] = Array.from({ length: count }, () => []);
    for (let i = 0; i < n; i++) lists[key(i)]!.push(i);
    return lists.map((l) => Int32Array.from(l));
  };
  const genreTracks = group(nTracks, (t) => trackGenre[t]!, G);
  const artistTracks = group(nTracks, (t) => trackArtist[t]!, nArtists);
  const genreArtists = group(nArtists, (a) => artistGenre[a]!, G);
  const cumOf = (ids: Int32Array, w: Float64Array) => (ids.length ? cumulative(Array.from(ids, (i) => w[i]!)) : new Float64Array(0));
  const cat: Catalogue = {
    trackGenre, trackArtist, trackPop, trackPopZ, duration,
    globalCum: cumulative(trackPop),
    genreTracks, genreCum: genreTracks.map((ids) => cumOf(ids, trackPop)),
    artistTracks, artistCum: artistTracks.map((ids) => cumOf(ids, trackPop)),
    artistGenre, artistNames,
    genreArtists, genreArtistCum: genreArtists.map((ids) => cumOf(ids, artistPop)),
  };
  return { tracks, cat };
}
