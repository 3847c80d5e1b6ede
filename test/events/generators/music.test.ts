// The music world: deterministic, valid, ordered, and its behaviour follows the hidden tastes
// strongly enough that a model of the past predicts the future far better than popularity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnyEvent } from '../../../src/events/schemas.ts';
import { musicWorld, musicTastes, type MusicEvent } from '../../../src/events/generators/music.ts';
import { rocAucBinary } from '../../../src/ml/metrics/classification.ts';

const opts = { seed: 7, users: 150, tracks: 1500, days: 21, start: '2025-03-03' };
const world = musicWorld(opts);
const events: MusicEvent[] = [...world.events()];
const tastes = musicTastes(world);
const trackById = new Map(world.tracks.map((t) => [t.track_id, t]));
const userIndex = new Map(world.users.map((u, i) => [u.user_id, i]));

function first(w: ReturnType<typeof musicWorld>, n: number): string[] {
  const out: string[] = [];
  for (const e of w.events()) { out.push(JSON.stringify(e)); if (out.length === n) break; }
  return out;
}

test('same seed, same world and byte-identical events; another seed, another world', () => {
  const again = musicWorld(opts);
  assert.deepEqual(again.users, world.users);
  assert.deepEqual(again.tracks, world.tracks);
  const a = first(world, 1000);
  assert.equal(a.length, 1000);
  assert.deepEqual(first(again, 1000), a);
  assert.deepEqual(first(world, 1000), a, 'events() replays the same stream on every call');
  const other = musicWorld({ ...opts, seed: 8 });
  const b = first(other, 1000);
  assert.notDeepEqual(b, a);
  assert.notDeepEqual(other.users.map((u) => u.name), world.users.map((u) => u.name));
  const ids = new Set(a.map((s) => JSON.parse(s).event_id));
  for (const s of b) assert.ok(!ids.has(JSON.parse(s).event_id), 'event ids differ between seeds');
});

test('every event passes the wire schema; ids are unique', () => {
  assert.ok(events.length > 20_000, `a sizeable world (${events.length} events)`);
  const ids = new Set<string>();
  for (const e of events) {
    const r = AnyEvent.safeParse(e);
    assert.ok(r.success, `${JSON.stringify(e)}: ${r.success ? '' : r.error.message}`);
    ids.add(e.event_id);
  }
  assert.equal(ids.size, events.length);
  const types = new Set(events.map((e) => e.type));
  assert.deepEqual([...types].sort(), ['like', 'play', 'search', 'skip']);
});

test('timestamps are inside the world, in order, and after each user signed up', () => {
  let prev = -Infinity;
  for (const e of events) {
    const t = Date.parse(e.ts);
    assert.ok(t >= world.start && t < world.end, `${e.ts} inside [${new Date(world.start).toISOString()}, ${new Date(world.end).toISOString()})`);
    assert.ok(t >= prev, 'non-decreasing');
    prev = t;
    const u = world.users[userIndex.get(e.user_id)!]!;
    assert.ok(e.ts.slice(0, 10) >= u.signup_date, `${e.user_id} acts on ${e.ts} after signing up on ${u.signup_date}`);
  }
  assert.equal(world.end - world.start, 21 * 86_400_000);
});

test('conventions: a skip ends the play it cuts short; a search precedes the play it found', () => {
  const lastPlay = new Map<string, MusicEvent & { type: 'play' }>();
  const pendingSearch = new Map<string, number>();
  let skips = 0, searches = 0, likes = 0;
  for (const e of events) {
    if (e.type === 'play') {
      const track = trackById.get(e.track_id)!;
      assert.ok(track, `known track ${e.track_id}`);
      assert.equal(e.duration_ms, track.duration_ms);
      assert.ok(e.ms_played <= track.duration_ms);
      if (e.context === 'search') {
        const s = pendingSearch.get(e.user_id);
        assert.ok(s !== undefined && Date.parse(e.ts) - s <= 20_000, 'a search came just before');
        pendingSearch.delete(e.user_id);
      }
      lastPlay.set(e.user_id, e);
    } else if (e.type === 'skip') {
      skips++;
      const p = lastPlay.get(e.user_id)!;
      assert.equal(p.track_id, e.track_id);
      assert.equal(p.ms_played, e.position_ms);
      assert.equal(Date.parse(e.ts), Date.parse(p.ts) + p.ms_played);
      assert.ok(p.ms_played < 0.96 * p.duration_ms!, 'a skipped play was not completed');
    } else if (e.type === 'like') {
      likes++;
      const p = lastPlay.get(e.user_id)!;
      assert.equal(p.track_id, e.track_id);
      assert.ok(p.ms_played >= 0.96 * p.duration_ms!, 'likes follow completed listens');
    } else if (e.type === 'search') {
      searches++;
      pendingSearch.set(e.user_id, Date.parse(e.ts));
    }
  }
  assert.ok(skips > 100 && searches > 100 && likes > 100, `${skips} skips, ${searches} searches, ${likes} likes`);
  assert.ok(events.some((e) => e.type === 'like' && e.playlist_id), 'some likes go to playlists');
});

test('off-taste tracks are skipped early and far more often than on-taste ones', () => {
  const stat = { on: [0, 0], off: [0, 0] };
  const offPositions: number[] = [];
  for (const e of events) {
    if (e.type !== 'play' && e.type !== 'skip') continue;
    const taste = tastes[userIndex.get(e.user_id)!]!;
    const genre = trackById.get(e.track_id)!.genre;
    const side = taste.liked_genres.includes(genre) ? 'on' : taste.disliked_genres.includes(genre) ? 'off' : null;
    if (!side) continue;
    if (e.type === 'play') stat[side][0]++;
    else { stat[side][1]++; if (side === 'off') offPositions.push(e.position_ms); }
  }
  const on = stat.on[1]! / stat.on[0]!, off = stat.off[1]! / stat.off[0]!;
  assert.ok(stat.off[0]! > 300, `enough off-taste plays (${stat.off[0]})`);
  assert.ok(on < 0.2, `on-taste skip rate ${on.toFixed(3)}`);
  assert.ok(off > 0.8, `off-taste skip rate ${off.toFixed(3)}`);
  assert.ok(off > 5 * on);
  offPositions.sort((a, b) => a - b);
  assert.ok(offPositions[offPositions.length >> 1]! < 30_000, 'off-taste skips come early (median under 30 s)');
});

test('sessions happen mostly at each user\'s preferred hours', () => {
  let inTop = 0, total = 0;
  const top = tastes.map((t) => new Set(t.hour_profile.map((p, h) => [p, h] as const).sort((a, b) => b[0] - a[0]).slice(0, 6).map(([, h]) => h)));
  for (const e of events) {
    if (e.type !== 'play') continue;
    total++;
    if (top[userIndex.get(e.user_id)!]!.has(new Date(e.ts).getUTCHours())) inTop++;
  }
  // a uniform clock would put 25% of plays in any 6 hours; sessions spill into the next hour
  assert.ok(inTop / total > 0.5, `share of plays in the user's 6 preferred hours: ${(inTop / total).toFixed(3)}`);
});

test('a model of the first 80% of time predicts the last 20% far better than popularity', () => {
  const cut = world.start + 0.8 * (world.end - world.start);
  const genres = [...new Set(world.tracks.map((t) => t.genre))];
  const gIndex = new Map(genres.map((g, i) => [g, i]));
  const G = genres.length, U = world.users.length;
  const userGenre = new Float64Array(U * G * 2); // completed, plays
  const trackStats = new Map<string, [number, number]>();
  const completed = (e: MusicEvent & { type: 'play' }) => e.ms_played >= 0.9 * e.duration_ms!;
  const testPlays: { u: number; g: number; track: string; done: number }[] = [];
  for (const e of events) {
    if (e.type !== 'play') continue;
    const u = userIndex.get(e.user_id)!, g = gIndex.get(trackById.get(e.track_id)!.genre)!;
    const done = completed(e) ? 1 : 0;
    if (Date.parse(e.ts) < cut) {
      userGenre[(u * G + g) * 2] += done; userGenre[(u * G + g) * 2 + 1]++;
      const s = trackStats.get(e.track_id) ?? [0, 0];
      s[0] += done; s[1]++; trackStats.set(e.track_id, s);
    } else testPlays.push({ u, g, track: e.track_id, done });
  }
  assert.ok(testPlays.length > 3000);
  const y = testPlays.map((p) => p.done);
  // taste: the user's smoothed completion rate in the track's genre, learned on the past
  const taste = testPlays.map(({ u, g }) => (userGenre[(u * G + g) * 2]! + 1) / (userGenre[(u * G + g) * 2 + 1]! + 2));
  // popularity: how often the track was played (or completed) by anyone in the past
  const popularity = testPlays.map(({ track }) => trackStats.get(track)?.[1] ?? 0);
  const popCompletion = testPlays.map(({ track }) => { const s = trackStats.get(track); return s ? (s[0] + 1) / (s[1] + 2) : 0.5; });
  const aucTaste = rocAucBinary(y, taste), aucPop = rocAucBinary(y, popularity), aucPopC = rocAucBinary(y, popCompletion);
  assert.ok(aucTaste > 0.8, `taste AUC ${aucTaste.toFixed(3)}`);
  assert.ok(aucTaste > Math.max(aucPop, aucPopC) + 0.1, `taste ${aucTaste.toFixed(3)} vs popularity ${aucPop.toFixed(3)} / ${aucPopC.toFixed(3)}`);

  // ranking: recall@50 of the tracks each user completes in the last 20%
  const byPop = [...trackStats.entries()].sort((a, b) => b[1][1] - a[1][1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t);
  const relevant = new Map<number, Set<string>>();
  for (const p of testPlays) if (p.done) { const s = relevant.get(p.u) ?? new Set(); s.add(p.track); relevant.set(p.u, s); }
  let hitsPop = 0, hitsTaste = 0, n = 0;
  for (const [u, rel] of relevant) {
    const popTop = byPop.slice(0, 50);
    const scored = byPop.map((t) => {
      const g = gIndex.get(trackById.get(t)!.genre)!;
      const rate = (userGenre[(u * G + g) * 2]! + 0.1) / (userGenre[(u * G + g) * 2 + 1]! + 1);
      const share = userGenre[(u * G + g) * 2 + 1]! + 1;
      return [t, rate * share * Math.log1p(trackStats.get(t)![1])] as const;
    }).sort((a, b) => b[1] - a[1]).slice(0, 50).map(([t]) => t);
    hitsPop += popTop.filter((t) => rel.has(t)).length;
    hitsTaste += scored.filter((t) => rel.has(t)).length;
    n += rel.size;
  }
  const recallPop = hitsPop / n, recallTaste = hitsTaste / n;
  assert.ok(recallTaste > 1.5 * recallPop, `recall@50: taste ${recallTaste.toFixed(3)} vs popularity ${recallPop.toFixed(3)}`);
});

test('hidden tastes are coherent and bad options name the field', () => {
  for (const t of tastes) {
    assert.ok(t.liked_genres.length >= 1 && t.disliked_genres.length >= 2);
    for (const g of t.liked_genres) assert.ok(t.genre_affinity[g]! > 1);
    for (const g of t.disliked_genres) assert.ok(t.genre_affinity[g]! < -1);
    assert.ok(Math.abs(t.hour_profile.reduce((s, v) => s + v, 0) - 1) < 1e-9);
  }
  assert.throws(() => musicWorld({ users: 0 }), /users/);
  assert.throws(() => musicWorld({ tracks: 2.5 }), /tracks/);
  assert.throws(() => musicWorld({ start: 'someday' }), /start/);
  assert.throws(() => musicTastes({ ...world }), /musicWorld/);
});
