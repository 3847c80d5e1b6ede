// Count data for the recommender benchmark: the generated music world's plays summed per
// (user, track) (heavy-tailed across users: the median user a few hundred plays in 60 days, the
// heaviest 30x that; the world's plays are timed events, so no user reaches the hundreds of
// thousands of a real multi-year log), with 20% of each user's tracks held out at random, as in the
// classic last.fm evaluations. Written as train.csv / test.csv (user,item,weight) for the anchors.
// lifetimeSigma stands in for the multi-year log the world cannot play out: each user's counts
// are multiplied by their own log-normal factor exp(sigma z) (median 1), so a few users reach
// hundreds of thousands of plays and single pairs tens of thousands, while the median user keeps
// a few hundred; tastes, pairs and the held-out tracks stay those of the plain split.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { musicWorld } from '../../src/events/generators/music.ts';
import { Rng } from '../../src/ml/core/rng.ts';

export interface CountSplit {
  dir: string; users: number; items: number; pairs: number; plays: number; maxCount: number; medianUserPlays: number; maxUserPlays: number;
}

export function writeMusicCountSplit(
  dir: string, opts: { users?: number; tracks?: number; days?: number; seed?: number; lifetimeSigma?: number } = {},
): CountSplit {
  const world = musicWorld({ seed: opts.seed ?? 7, users: opts.users ?? 1000, tracks: opts.tracks ?? 3000, days: opts.days ?? 60 });
  const counts = new Map<string, Map<string, number>>();
  let plays = 0;
  for (const e of world.events()) {
    if (e.type !== 'play') continue;
    plays++;
    let m = counts.get(e.user_id);
    if (!m) counts.set(e.user_id, (m = new Map()));
    m.set(e.track_id, (m.get(e.track_id) ?? 0) + 1);
  }
  const rng = new Rng(opts.seed ?? 7);
  // its own stream, so the holdout draws do not move with lifetimeSigma
  const lifetime = new Rng((opts.seed ?? 7) + 1);
  const train: string[] = ['user,item,weight'], test: string[] = ['user,item,weight'];
  const items = new Set<string>();
  let pairs = 0, maxCount = 0;
  const userPlays: number[] = [];
  for (const [u, m] of counts) {
    let list = [...m.entries()];
    const factor = Math.exp((opts.lifetimeSigma ?? 0) * lifetime.normal());
    if (opts.lifetimeSigma) list = list.map(([item, c]) => [item, Math.max(1, Math.round(c * factor))]);
    let total = 0;
    for (const [, c] of list) { total += c; maxCount = Math.max(maxCount, c); }
    userPlays.push(total);
    const order = rng.shuffle(Int32Array.from(list, (_, k) => k));
    const nTest = list.length >= 2 ? Math.max(1, Math.floor(list.length * 0.2)) : 0;
    order.forEach((k, r) => {
      const [item, c] = list[k]!;
      items.add(item); pairs++;
      (r < nTest ? test : train).push(`${u},${item},${c}`);
    });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.csv'), train.join('\n') + '\n');
  writeFileSync(join(dir, 'test.csv'), test.join('\n') + '\n');
  userPlays.sort((a, b) => a - b);
  return {
    dir, users: counts.size, items: items.size, pairs, plays, maxCount, medianUserPlays: userPlays[userPlays.length >> 1]!, maxUserPlays: userPlays.at(-1)!,
  };
}
