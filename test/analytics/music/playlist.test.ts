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
  return PlaylistModel.build({ recommender: rec, heard, tracks, genreSkips, liked: { users: ['skipper'], items: ['r1'] }, params: { n: 6, maxPerArtist: 2, ...params } });
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
