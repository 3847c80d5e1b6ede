// The simulator that answers back (`tributary simulate music --api URL --days N [--speed X]`):
// the users of a generated music world, after the days already collected, keep listening on
// their own (the world's ordinary stream of events, a new draw of it) and, once a day with some
// probability, open "Recommended for you": they ask the API for their playlist at a moment of
// their listening hours, then play, skip and like what they are shown by the same hidden tastes
// (musicResponder). Every event goes through the collector on the world's clock; the playlist
// request names that clock (`at`), so the recommendation_shown event the API logs lines up
// with the plays that answer it and acceptance can be measured. Like a client highlighting the
// tracks a listener will love, it also asks the like model (`POST /v1/predict/music-like`) about
// the tracks shown, when the API serves one: those answers are audited, and the users' likes
// that follow are their labels (the like model's monitoring). The answers do not change what
// the users do: their hidden tastes decide.
import { Rng } from '../ml/core/rng.ts';
import { DAY_MS, HOUR_MS, IdStream, isoTs, subSeed } from './generators/common.ts';
import { musicResponder, musicWorld, type MusicEvent, type MusicResponder, type MusicWorld, type MusicWorldOptions } from './generators/music.ts';
import { postEvents } from './generators/post.ts';

export interface SimulationOptions {
  /** the world the users come from (same options as when its events were collected) */
  world: MusicWorldOptions;
  /** API base URL, e.g. http://127.0.0.1:8080 */
  api: string;
  token?: string;
  /** days to simulate, from the world's end (or `start`) */
  days: number;
  start?: Date | string | number;
  /** world seconds per wall second (e.g. 86400: a day a second); default as fast as possible */
  speed?: number;
  /** share of a day's users who open their recommendations (default 0.5) */
  openShare?: number;
  /** tracks asked for (default 10) */
  playlistLength?: number;
  /** chance a user tries a shown track at all (default 0.7) */
  listenP?: number;
  /** ordinary listening besides recommendations (default true) */
  background?: boolean;
  /** the simulator's own draw (default 1): different values give different users' choices */
  stream?: number;
  /** ask the like model about the tracks shown (default true; skipped when the API serves none) */
  askLikes?: boolean;
  log?: (line: string) => void;
}

export interface SimulationSummary {
  days: number;
  start: string;
  end: string;
  requests: number;
  shown: number;
  /** like-model answers asked for (one per shown track) */
  like_answers: number;
  /** events posted in answer to recommendations (plays, skips, likes with context "recommendation") */
  answered: { plays: number; completed: number; skips: number; likes: number };
  background_events: number;
  accepted: number;
  rejected: number;
  arms: Record<string, { requests: number; shown: number; completed_or_liked: number }>;
  seconds: number;
}

interface Shown { tracks: { track_id: string }[]; experiment_id?: string; arm?: string }

export async function simulateMusic(opts: SimulationOptions): Promise<SimulationSummary> {
  const t0 = performance.now();
  const base = musicWorld(opts.world);
  const start = opts.start === undefined ? base.end : new Date(opts.start).getTime();
  if (!Number.isFinite(start)) throw new Error(`simulate: start is not a date: ${String(opts.start)}`);
  if (!Number.isInteger(opts.days) || opts.days < 1) throw new Error(`simulate: days must be an integer >= 1, got ${opts.days}`);
  const stream = opts.stream ?? 1;
  // the same users, catalogue and tastes (same seed and sizes), listening on after `start`
  const world = musicWorld({ ...opts.world, start, days: opts.days, stream });
  const responder = musicResponder(world);
  const rng = new Rng(subSeed(world.seed, 5000 + stream));
  const ids = new IdStream(world.seed, 5000 + stream);
  const n = opts.playlistLength ?? 10, openShare = opts.openShare ?? 0.5, listenP = opts.listenP ?? 0.7;
  const log = opts.log ?? (() => {});
  const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  const apiBase = opts.api.replace(/\/+$/, '');
  const background = opts.background ?? true ? world.events()[Symbol.iterator]() : undefined;
  let pending: MusicEvent | undefined;
  let askLikes = opts.askLikes ?? true;
  const sum: SimulationSummary = {
    days: opts.days, start: isoTs(start), end: isoTs(start + opts.days * DAY_MS), requests: 0, shown: 0, like_answers: 0,
    answered: { plays: 0, completed: 0, skips: 0, likes: 0 }, background_events: 0, accepted: 0, rejected: 0, arms: {}, seconds: 0,
  };

  for (let day = 0; day < opts.days; day++) {
    const dayStart = start + day * DAY_MS, dayEnd = dayStart + DAY_MS;
    const wallStart = performance.now();
    const events: { ts: string }[] = [];
    // the day's ordinary listening
    if (background) {
      for (;;) {
        const e = pending ?? background.next().value as MusicEvent | undefined;
        pending = undefined;
        if (!e) break;
        if (Date.parse(e.ts) >= dayEnd) { pending = e; break; }
        events.push(e); sum.background_events++;
      }
    }
    // who opens "Recommended for you" today, and when
    const sessions: { u: number; t: number }[] = [];
    world.users.forEach((user, u) => {
      if (Date.parse(user.signup_date) > dayStart || rng.random() >= openShare) return;
      sessions.push({ u, t: dayStart + responder.sessionHour(u, rng) * HOUR_MS + Math.floor(rng.random() * HOUR_MS) });
    });
    const answers = await mapLimit(sessions, 8, async ({ u, t }) => {
      const url = `${apiBase}/v1/recommendations/${encodeURIComponent(world.users[u]!.user_id)}?n=${n}&at=${encodeURIComponent(isoTs(t))}`;
      const r = await fetch(url, { headers });
      if (!r.ok) throw new Error(`simulate: GET ${url} answered ${r.status}: ${(await r.text()).slice(0, 200)}`);
      const shown = await r.json() as Shown;
      if (askLikes && shown.tracks.length) {
        const pairs = shown.tracks.map((x) => ({ user_id: world.users[u]!.user_id, track_id: x.track_id, hour_of_day: new Date(t).getUTCHours() }));
        const lr = await fetch(`${apiBase}/v1/predict/music-like`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ pairs }),
        });
        if (lr.ok) { await lr.arrayBuffer(); sum.like_answers += pairs.length; } else {
          // no like model served (or not yet routed): the playlists go on without it
          askLikes = false;
          log(`simulate: POST /v1/predict/music-like answered ${lr.status} (${(await lr.text()).slice(0, 160)}); not asking the like model again`);
        }
      }
      return { u, t, shown };
    });
    for (const { u, t, shown } of answers) {
      sum.requests++; sum.shown += shown.tracks.length;
      const arm = shown.arm ?? '-';
      const a = (sum.arms[arm] ??= { requests: 0, shown: 0, completed_or_liked: 0 });
      a.requests++; a.shown += shown.tracks.length;
      const r = answerPlaylist(responder, world, u, shown.tracks.map((x) => x.track_id), t, rng, ids, listenP);
      events.push(...r.events);
      sum.answered.plays += r.plays; sum.answered.completed += r.completed; sum.answered.skips += r.skips; sum.answered.likes += r.likes;
      a.completed_or_liked += r.accepted;
    }
    events.sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0));
    const posted = await postEvents(events, { url: apiBase, token: opts.token, batch: 5000 });
    sum.accepted += posted.accepted; sum.rejected += posted.rejected;
    log(`simulate: day ${day + 1}/${opts.days} (${isoTs(dayStart).slice(0, 10)}): ${answers.length} playlists asked, ${events.length} events posted`);
    if (opts.speed && opts.speed > 0) {
      const wait = (DAY_MS / opts.speed) - (performance.now() - wallStart);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  sum.seconds = (performance.now() - t0) / 1000;
  return sum;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i]!); }
  }));
  return out;
}

export interface Answer { events: MusicEvent[]; plays: number; completed: number; skips: number; likes: number; accepted: number }

/**
 * One user's answer to a playlist shown at time t: the tracks they try, in order, each played
 * (completed or skipped when listening stopped) and maybe liked, on one listening clock.
 */
export function answerPlaylist(
  responder: MusicResponder,
  world: MusicWorld,
  u: number,
  trackIds: string[],
  t: number,
  rng: Rng,
  ids: IdStream,
  listenP = 0.7,
): Answer {
  const out: Answer = { events: [], plays: 0, completed: 0, skips: 0, likes: 0, accepted: 0 };
  const user_id = world.users[u]!.user_id;
  let clock = t + 2000 + Math.floor(rng.random() * 5000);
  for (const track_id of trackIds) {
    const tr = responder.trackIndex(track_id);
    if (tr === undefined) continue; // a track outside this world: not played
    const r = responder.react(u, tr, clock, rng, listenP);
    if (!r.listened) continue;
    const duration_ms = world.tracks[tr]!.duration_ms;
    out.events.push({
      event_id: ids.next(),
      type: 'play',
      ts: isoTs(clock),
      user_id,
      track_id,
      ms_played: r.ms_played,
      duration_ms,
      context: 'recommendation',
    });
    out.plays++;
    if (r.completed) out.completed++;
    else { out.events.push({
      event_id: ids.next(),
      type: 'skip',
      ts: isoTs(clock + r.ms_played),
      user_id,
      track_id,
      position_ms: r.ms_played,
      duration_ms,
    }); out.skips++; }
    if (r.liked) { out.events.push({ event_id: ids.next(), type: 'like', ts: isoTs(clock + Math.floor(r.ms_played * 0.8)), user_id, track_id }); out.likes++; }
    if (r.completed || r.liked) out.accepted++;
    clock += r.ms_played + 1000 + Math.floor(rng.random() * 3000);
  }
  return out;
}
