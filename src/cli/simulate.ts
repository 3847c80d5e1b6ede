// `tributary simulate music --api URL --days N [--speed X]`: the generated music world's users
// ask the API for their recommendations and answer them (src/events/simulator.ts).
import type { Command } from 'commander';
import { simulateMusic } from '../events/simulator.ts';
import { loadConfig } from '../config/index.ts';
import { fail, printJson } from './output.ts';

function num(flag: string, v: string | undefined, min: number, integer = true): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) fail(`${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${v}"`);
  return n;
}

export function register(program: Command): void {
  const sim = program.command('simulate').description('simulated users that answer what the API recommends');
  sim.command('music')
    .description('users of the generated music world (same --seed/--users/--tracks/--world-days as `generate music`) ' +
      'ask for "Recommended for you" and play, skip and like by their hidden tastes, after the world\'s days')
    .requiredOption('--api <url>', 'the API base URL, e.g. http://127.0.0.1:8080')
    .option('--days <n>', 'days to simulate', '7')
    .option('--speed <x>', 'world seconds per wall second (default: as fast as the API answers)')
    .option('--seed <n>', 'world seed', '42')
    .option('--users <n>', 'world users', '1000')
    .option('--tracks <n>', 'world tracks', '2000')
    .option('--world-days <n>', 'days of the world already collected (the simulation starts after them)', '28')
    .option('--open-share <x>', 'share of users who open their recommendations each day', '0.5')
    .option('--json', 'print the summary as JSON')
    .action(async (o: Record<string, string | undefined>) => {
      const token = loadConfig().apiToken;
      const s = await simulateMusic({
        world: {
          seed: num('--seed', o.seed, 0),
          users: num('--users', o.users, 1),
          tracks: num('--tracks', o.tracks, 12),
          days: num('--world-days', o.worldDays, 1),
        },
        api: o.api!, token, days: num('--days', o.days, 1)!, speed: num('--speed', o.speed, 0, false), openShare: num('--open-share', o.openShare, 0, false),
        log: (l) => process.stderr.write(l + '\n'),
      }).catch((e: Error) => fail(e.message));
      if (o.json) printJson(s);
      else console.log(`${s.days} days (${s.start.slice(0, 10)}..${s.end.slice(0, 10)}): ${s.requests} ` +
        `playlists, ${s.shown} tracks shown, ${s.answered.plays} played (${s.answered.completed} ` +
        `completed, ${s.answered.skips} skipped), ${s.answered.likes} liked; ${s.like_answers} like-model ` +
        `answers; ${s.background_events} other events; ${s.accepted} accepted, ${s.rejected} rejected by the collector in ${s.seconds.toFixed(1)} s` +
        Object.entries(s.arms).filter(([k]) => k !== '-').map(
          ([k, a]) => `\n  arm ${k}: ${a.requests} playlists, ${a.shown} shown, ${a.completed_or_liked} completed or liked`,
        ).join(''));
    });
}
