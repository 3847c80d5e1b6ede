// "Recommended for you" on a small hand-made catalogue: never a heard track, at most a few per
// artist, skipped genres demoted, cold start flagged, reasons, and the JSON round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interactions } from '../../../src/ml/recsys/interactions.ts';
import { Popularity } from '../../../src/ml/recsys/popularity.ts';
import { Ease } from '../../../src/ml/recsys/ease.ts';
import { PlaylistModel, recommendForUser } from '../../../src/analytics/music/playlist.ts';
import type { GenreSkips, TrackInfo } from '../../../src/analytics/music/features.ts';

// 8 jazz tracks (more popular) by 4 artists, 8 rock tracks by 4 artists
const tracks: TrackInfo[] = [
  ...Array.from({ length: 8 }, (_, k) => ({ track_id: `j${k}`, title: `Jazz ${k}`, artist: `JA${k % 4}`, genre: 'jazz', plays: 0, skip_rate: null })),
  ...Array.from({ length: 8 }, (_, k) => ({ track_id: `r${k}`, title: `Rock ${k}`, artist: `RA${k % 4}`, genre: 'rock', plays: 0, skip_rate: null })),
];

function world() {
  const users: string[] = [], items: string[] = [], weights: number[] = [];
  const add = (u: string, i: string, w: number) => { users.push(u); items.push(i); weights.push(w); };
  // 12 background listeners: every jazz track is heard by all of them, rock by half
  for (let u = 0; u < 12; u++) {
    for (let k = 0; k < 8; k++) add(`bg${u}`, `j${k}`, 1);
    if (u % 2 === 0) for (let k = 0; k < 8; k++) add(`bg${u}`, `r${k}`, 1);
  }
  // the skipper played two rock tracks and keeps skipping jazz (j0 early-skipped: strength < 0)
  add('skipper', 'r0', 2); add('skipper', 'r1', 5); add('skipper', 'j0', -1);
  add('fan', 'j0', 2); add('fan', 'r0', 1);
  return { users, items, weights: Float64Array.from(weights) };
}

async function build(kind: 'popularity' | 'ease', params: Record<string, unknown> = {}) {
  const heard = world();
  const pos = { users: [] as string[], items: [] as string[], weights: [] as number[] };
  heard.users.forEach((u, r) => { if (heard.weights[r]! > 0) { pos.users.push(u); pos.items.push(heard.items[r]!); pos.weights.push(heard.weights[r]!); } });
  const data = Interactions.fromTriples(pos);
  const rec = kind === 'popularity' ? await new Popularity().fit(data) : await new Ease({ lambda: 10 }).fit(data);
  const genreSkips: GenreSkips[] = [
    { user_id: 'skipper', genre: 'jazz', plays: 6, skips: 5, skip_rate: 5 / 6 },
    { user_id: 'skipper', genre: 'rock', plays: 4, skips: 1, skip_rate: 0.25 },
    { user_id: 'fan', genre: 'rock', plays: 2, skips: 2, skip_rate: 1 }, // too few skips to demote
  ];
  return PlaylistModel.build({
    recommender: rec,
    heard,
    tracks,
    genreSkips,
    liked: { users: ['skipper'], items: ['r1'] },
    params: { n: 6, maxPerArtist: 2, ...params },
  });
}

test('playlist: never a track the user has heard, skips included', async () => {
  const m = await build('ease');
  const heard = world();
  for (const u of m.userIds) {
    const mine = new Set(heard.users.flatMap((x, r) => (x === u ? [heard.items[r]!] : [])));
    const p = recommendForUser(m, u);
    assert.ok(p.tracks.length > 0 || mine.size === tracks.length, `${u} gets a playlist`);
    for (const t of p.tracks) assert.ok(!mine.has(t.track_id), `${u} already heard ${t.track_id}`);
    assert.equal(new Set(p.tracks.map((t) => t.track_id)).size, p.tracks.length, 'no duplicates');
  }
  // j0 was only skipped (negative strength): still excluded
  assert.ok(!recommendForUser(m, 'skipper').tracks.some((t) => t.track_id === 'j0'));
});

test('playlist: a genre the user keeps skipping is demoted below the others', async () => {
  const m = await build('popularity', { n: 10 });
  // popularity alone puts jazz first (12 listeners vs 6)
  const fan = recommendForUser(m, 'fan', 10);
  assert.equal(fan.tracks[0]!.genre, 'jazz', 'without skips, popular jazz leads');
  const p = recommendForUser(m, 'skipper', 10);
  assert.deepEqual(m.demotedGenres('skipper'), ['jazz']);
  assert.deepEqual(m.demotedGenres('fan'), [], 'two skips are not enough to demote');
  const firstJazz = p.tracks.findIndex((t) => t.genre === 'jazz');
  const lastRock = p.tracks.map((t) => t.genre).lastIndexOf('rock');
  assert.ok(lastRock >= 0 && firstJazz > lastRock, `jazz comes after every rock track: ${p.tracks.map((t) => t.genre).join(',')}`);
  assert.ok(p.tracks.filter((t) => t.genre === 'jazz').every((t) => t.demoted));
  assert.ok(p.tracks.filter((t) => t.genre === 'rock').every((t) => !t.demoted));
});

test('playlist: at most maxPerArtist tracks per artist', async () => {
  const m = await build('popularity', { n: 16, maxPerArtist: 1 });
  const p = recommendForUser(m, 'fan', 16);
  const count = new Map<string, number>();
  for (const t of p.tracks) count.set(t.artist, (count.get(t.artist) ?? 0) + 1);
  assert.ok([...count.values()].every((c) => c <= 1));
  assert.equal(p.tracks.length, 8, '8 artists, one track each');
});

test('playlist: cold-start users get popular tracks, flagged', async () => {
  const m = await build('ease');
  const p = recommendForUser(m, 'someone-new', 4);
  assert.equal(p.cold_start, true);
  assert.equal(p.tracks.length, 4);
  assert.ok(p.tracks.every((t) => t.genre === 'jazz'), 'the most popular tracks');
  assert.match(p.tracks[0]!.reason, /popular/);
  assert.equal(recommendForUser(m, 'fan').cold_start, false);
});

test('playlist: reasons name a track the user liked or played', async () => {
  const m = await build('ease');
  const p = recommendForUser(m, 'skipper');
  assert.ok(p.tracks.some((t) => /because you liked "Rock 1" by RA1/.test(t.reason)), p.tracks.map((t) => t.reason).join(' | '));
  for (const t of p.tracks) assert.ok(t.reason.length > 0);
});

test('playlist: toJSON/fromJSON gives the same playlists', async () => {
  for (const kind of ['ease', 'popularity'] as const) {
    const m = await build(kind);
    const back = PlaylistModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    for (const u of [...m.userIds, 'nobody']) assert.deepEqual(recommendForUser(back, u), recommendForUser(m, u));
  }
  assert.throws(() => PlaylistModel.fromJSON({ kind: 'nope' } as any), /music-playlist/);
});

// The playlist as plainly specified (score, mask heard, top 10n candidates, artist cap, demoted
// genres last, reason = history track with the highest listener cosine), against which the
// served code path (short candidate list first, history bitmasks, stamps) must agree exactly.
function referencePlaylist(
  rec: Ease,
  heardRows: { users: string[]; items: string[]; weights: Float64Array },
  liked: Set<string>,
  genreOf: Map<string, string>,
  demoted: Map<string, Set<string>>,
  userId: string,
  n: number,
) {
  const data = rec.data!;
  const ru = data.userIndex.get(userId)!;
  const scores = rec.scoreUsers(Int32Array.of(ru));
  const heard = new Map<string, number>();
  heardRows.users.forEach((u, r) => {
    if (u === userId && data.itemIndex.has(heardRows.items[r]!)) heard.set(heardRows.items[r]!, (heard.get(heardRows.items[r]!) ?? 0) + heardRows.weights[r]!);
  });
  for (const i of heard.keys()) scores[data.itemIndex.get(i)!] = -Infinity;
  for (let k = data.byUser.indptr[ru]!; k < data.byUser.indptr[ru + 1]!; k++) scores[data.byUser.indices[k]!] = -Infinity;
  const order = Array.from(scores.keys()).filter((i) => scores[i]! > -Infinity).sort(
    (a, b) => scores[b]! - scores[a]! || a - b,
  ).slice(0, Math.max(n * 10, 100));
  const artist = (i: number) => `A${Number(data.itemIds[i]!.slice(1)) % 37}`;
  const per = new Map<string, number>(), chosen: number[] = [];
  const dem = demoted.get(userId) ?? new Set<string>();
  for (const allow of [false, true]) for (const i of order) {
    if (chosen.length >= n) break;
    if (dem.has(genreOf.get(data.itemIds[i]!)!) !== allow) continue;
    if ((per.get(artist(i)) ?? 0) >= 2) continue;
    per.set(artist(i), (per.get(artist(i)) ?? 0) + 1); chosen.push(i);
  }
  const history = [...heard].filter(([, w]) => w > 0).sort((a, b) => b[1] - a[1] || data.itemIndex.get(a[0])! - data.itemIndex.get(b[0])!).slice(0, 30);
  const listeners = (i: number) => new Set(Array.from(data.byItem.indices.subarray(data.byItem.indptr[i]!, data.byItem.indptr[i + 1]!)));
  return chosen.map((i) => {
    let best: string | undefined, bestSim = 0;
    const li = listeners(i);
    for (const [h] of history) {
      const lh = listeners(data.itemIndex.get(h)!);
      let common = 0; for (const v of lh) if (li.has(v)) common++;
      const s = lh.size && li.size ? common / Math.sqrt(lh.size * li.size) : 0;
      if (s > bestSim) { bestSim = s; best = h; }
    }
    const reason = best === undefined
      ? `a popular ${genreOf.get(data.itemIds[i]!)} track`
      : `because you ${liked.has(`${userId}|${best}`) ? 'liked' : 'played'} "T${best}" by A${Number(best.slice(1)) % 37}`; // title of t12 is "Tt12";
    return `${data.itemIds[i]} ${reason}`;
  });
}

test('playlist: the served code path gives exactly the plainly specified playlist (random world, demoted genres, likes)', async () => {
  let s = 11;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const nTracks = 150, genres = ['g0', 'g1', 'g2', 'g3', 'g4'];
  const tr: TrackInfo[] = Array.from({ length: nTracks }, (_, t) => ({
    track_id: `t${t}`,
    title: `Tt${t}`,
    artist: `A${t % 37}`,
    genre: genres[t % 5]!,
    plays: 0,
    skip_rate: null,
  }));
  const heard = { users: [] as string[], items: [] as string[], weights: [] as number[] };
  for (let u = 0; u < 60; u++) for (let k = 0; k < 25; k++) {
    heard.users.push(`u${u}`);
    heard.items.push(`t${Math.floor(rnd() ** 2 * nTracks)}`);
    heard.weights.push(rnd() < 0.1 ? -1 : 1 + Math.floor(rnd() * 5));
  }
  const heardRows = { ...heard, weights: Float64Array.from(heard.weights) };
  const pos = { users: [] as string[], items: [] as string[] };
  heard.users.forEach((u, r) => { if (heard.weights[r]! > 0) { pos.users.push(u); pos.items.push(heard.items[r]!); } });
  const rec = await new Ease({ lambda: 20, threads: 1 }).fit(Interactions.fromTriples(pos));
  const likedPairs = pos.users.map((u, r) => [u, pos.items[r]!] as const).filter((_, r) => r % 3 === 0);
  // odd users keep skipping three of the five genres (even ones skip too rarely to demote)
  const genreSkips: GenreSkips[] = Array.from(
    { length: 60 },
    (_, u) => [0, 1, 2].map((d) => ({ user_id: `u${u}`, genre: genres[(u + d) % 5]!, plays: 9, skips: u % 2 ? 6 : 1, skip_rate: u % 2 ? 0.7 : 0.1 })),
  ).flat();
  const m = PlaylistModel.build({
    recommender: rec,
    heard: heardRows,
    tracks: tr,
    genreSkips,
    liked: { users: likedPairs.map((p) => p[0]), items: likedPairs.map((p) => p[1]) },
  });
  const liked = new Set(likedPairs.map(([u, i]) => `${u}|${i}`));
  const genreOf = new Map(tr.map((t) => [t.track_id, t.genre]));
  const demoted = new Map<string, Set<string>>();
  for (const g of genreSkips) if (g.skips >= 3 && (g.skip_rate ?? 0) >= 0.5) demoted.set(g.user_id, (demoted.get(g.user_id) ?? new Set()).add(g.genre));
  const seen = { liked: 0, demoted: 0 };
  for (const n of [1, 5, 12, 40, 70]) {
    for (let u = 0; u < 60; u++) {
      if (!rec.data!.userIndex.has(`u${u}`)) continue;
      const p = m.playlist(`u${u}`, n);
      const got = p.tracks.map((t) => `${t.track_id} ${t.reason}`);
      assert.deepEqual(got, referencePlaylist(rec, heardRows, liked, genreOf, demoted, `u${u}`, n), `u${u} n=${n}`);
      seen.liked += p.tracks.filter((t) => t.reason.startsWith('because you liked')).length;
      seen.demoted += p.tracks.filter((t) => t.demoted).length;
    }
  }
  assert.ok(seen.liked > 0 && seen.demoted > 0, `the world exercises likes and demotion: ${JSON.stringify(seen)}`);
});
