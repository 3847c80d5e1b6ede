// The music world's listeners (music.ts): users (age, country, signup) and their hidden tastes
// (genre affinities leaning on age, listening hours by archetype, favourite artists, activity),
// and the taste shift of the drift scenario.
import type { Faker } from '@faker-js/faker';
import { Rng } from '../../ml/core/rng.ts';
import { DAY_MS, clamp, cumulative, isoDate, numberOption, parseStart, pick, subSeed } from './common.ts';
import { G, GENRES, type Catalogue } from './music-catalogue.ts';

export interface MusicUser {
  user_id: string;
  name: string;
  age: number;
  country: string;
  /** YYYY-MM-DD; users who sign up inside the world only listen from that day on */
  signup_date: string;
}

const COUNTRIES = ['US', 'GB', 'DE', 'BR', 'MX', 'FR', 'SE', 'JP', 'ES', 'CA', 'IT', 'AU', 'NL', 'PL', 'IN'];
const COUNTRY_WEIGHTS = [22, 10, 9, 9, 6, 6, 4, 5, 5, 5, 4, 4, 3, 3, 5];

/** Centre hours of each archetype's listening peaks (UTC). */
const ARCHETYPES: { name: string; peaks: [number, number, number][] }[] = [
  // [hour, width, weight]
  { name: 'commuter', peaks: [[8, 1, 1], [18, 1.2, 1]] },
  { name: 'office', peaks: [[13, 3.5, 1]] },
  { name: 'evening', peaks: [[21, 1.8, 1]] },
  { name: 'night-owl', peaks: [[1, 2, 1]] },
];

/** log-normal spread of users' activity (see musicWorld) */
const ACTIVITY_SIGMA = 1.5;

/** What drives a user's listening; never in the emitted data (musicTastes shows it to tests). */
export interface Hidden {
  affinity: Float64Array[]; // per user, per genre
  /** after the taste shift (the same arrays as affinity for users who do not move) */
  shifted: Float64Array[];
  shiftAt: number;
  hourCum: Float64Array[]; // per user, 24 cumulative
  archetype: string[];
  favArtists: Int32Array[];
  favSet: Set<number>[];
  activity: Float64Array;
  activeProb: Float64Array;
  playlists: Uint8Array;
  signupMs: Float64Array;
  liked: number[][];
  disliked: number[][];
}

/** Draws the users of a world and their hidden tastes (after the catalogue, from the same rng and faker). */
export function makeListeners(rng: Rng, faker: Faker, nUsers: number, start: number, days: number, cat: Catalogue): { users: MusicUser[]; hidden: Hidden } {
  const { genreArtists } = cat;
  // ---- users and their hidden tastes
  const countryCum = cumulative(COUNTRY_WEIGHTS);
  const users: MusicUser[] = [];
  const hidden: Hidden = {
    affinity: [], shifted: [], shiftAt: Infinity, hourCum: [], archetype: [], favArtists: [], favSet: [], liked: [], disliked: [],
    activity: new Float64Array(nUsers), activeProb: new Float64Array(nUsers),
    playlists: new Uint8Array(nUsers), signupMs: new Float64Array(nUsers),
  };
  for (let u = 0; u < nUsers; u++) {
    const age = clamp(Math.round(31 + 11 * rng.normal()), 16, 80);
    const signup = rng.random() < 0.85
      ? start - Math.floor(rng.random() * 3 * 365) * DAY_MS - DAY_MS
      : start + Math.floor(rng.random() * days * 0.8) * DAY_MS;
    users.push({
      user_id: `u${u + 1}`,
      name: faker.person.fullName(),
      age,
      country: COUNTRIES[pick(countryCum, rng.random())]!,
      signup_date: isoDate(signup),
    });
    hidden.signupMs[u] = signup;

    const aff = new Float64Array(G);
    for (let g = 0; g < G; g++) aff[g] = 0.35 * rng.normal();
    // liked genres lean on age (the young to hip-hop and electronic, the old to jazz and
    // classical), so demographics carry a little signal too
    const lean = GENRES.map((g) => g.share * Math.exp(0.9 * g.ageLean * (31 - age) / 15));
    const pool = Array.from({ length: G }, (_, g) => g);
    const liked: number[] = [];
    const nLiked = 1 + rng.int(3);
    for (let k = 0; k < nLiked; k++) {
      const c = cumulative(pool.map((g) => lean[g]!));
      const g = pool.splice(pick(c, rng.random()), 1)[0]!;
      liked.push(g); aff[g] = 1.2 + 0.8 * rng.random();
    }
    const disliked: number[] = [];
    const nDis = 2 + rng.int(3);
    for (let k = 0; k < nDis; k++) {
      const g = pool.splice(rng.int(pool.length), 1)[0]!;
      disliked.push(g); aff[g] = -(1.2 + 0.8 * rng.random());
    }
    hidden.affinity.push(aff);
    hidden.liked.push(liked);
    hidden.disliked.push(disliked);

    const arch = ARCHETYPES[rng.int(ARCHETYPES.length)]!;
    const shift = rng.int(3) - 1;
    const hours = new Float64Array(24);
    for (let h = 0; h < 24; h++) {
      let w = 0;
      for (const [c, width, weight] of arch.peaks) {
        const d = Math.min(Math.abs(h - c - shift), 24 - Math.abs(h - c - shift));
        w += weight * Math.exp(-0.5 * (d / width) ** 2);
      }
      hours[h] = w;
    }
    const hs = hours.reduce((s, v) => s + v, 0);
    // 15% of sessions fall anywhere in the day
    for (let h = 0; h < 24; h++) hours[h] = 0.85 * hours[h]! / hs + 0.15 / 24;
    hidden.hourCum.push(cumulative(hours));
    hidden.archetype.push(arch.name);

    const nFav = 2 + rng.int(5);
    const favs = new Set<number>();
    for (let k = 0; k < nFav * 3 && favs.size < nFav; k++) {
      const g = liked[rng.int(liked.length)]!;
      const ids = genreArtists[g]!;
      if (ids.length) favs.add(ids[pick(cat.genreArtistCum[g]!, rng.random())]!);
    }
    hidden.favArtists.push(Int32Array.from(favs));
    hidden.favSet.push(favs);
    // heavy-tailed like real listening logs (log-normal, sigma 1.5: most users play a few
    // hundred times in a month, the heaviest ~30x the average, up to ~10 hours a day); the mean
    // stays 1, so the world's volume does not change
    hidden.activity[u] = Math.min(30, Math.exp(ACTIVITY_SIGMA * rng.normal() - ACTIVITY_SIGMA ** 2 / 2));
    hidden.activeProb[u] = 0.35 + 0.55 * rng.random();
    hidden.playlists[u] = 1 + rng.int(4);
  }
  return { users, hidden };
}

/**
 * The taste shift: moving users swap the affinities of their liked and disliked genres (their
 * own draw of the seed, so worlds with and without a shift share everything before it).
 */
export function shiftTastes(hidden: Hidden, seed: number, tasteShift: { from: Date | string | number; fraction?: number }): void {
  const nUsers = hidden.affinity.length;
  hidden.shiftAt = parseStart(tasteShift.from, 'tasteShift.from');
  const share = numberOption('tasteShift.fraction', tasteShift.fraction, 1, 0, 1);
  const srng = new Rng(subSeed(seed, 3));
  for (let u = 0; u < nUsers; u++) {
    const aff = hidden.affinity[u]!;
    if (srng.random() >= share) { hidden.shifted.push(aff); continue; }
    const moved = Float64Array.from(aff);
    const liked = hidden.liked[u]!, dis = hidden.disliked[u]!;
    for (let k = 0; k < Math.max(liked.length, dis.length); k++) {
      const a = liked[k % liked.length]!, b = dis[k % dis.length]!;
      moved[a] = aff[b]!; moved[b] = aff[a]!;
    }
    hidden.shifted.push(moved);
  }
}
