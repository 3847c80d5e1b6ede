// `tributary generate music|retail|people`: synthetic worlds as NDJSON files, on stdout, or
// posted to a collector at a given rate.
import type { Command } from 'commander';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { musicWorld } from '../events/generators/music.ts';
import { retailWorld } from '../events/generators/retail.ts';
import { peopleStream } from '../events/generators/people.ts';
import { writeDimensions, writeNdjsonFile, writeNdjsonTo, type HasDimensions } from '../events/generators/ndjson.ts';
import { postEvents, type PostProgress } from '../events/generators/post.ts';
import { intOption, numberOption } from '../events/generators/common.ts';
import { fail, usage } from './output.ts';

interface SinkOptions {
  seed?: string;
  out?: string;
  post?: string;
  rate?: string;
  batch?: string;
  concurrency?: string;
  token?: string;
  start?: string;
}

interface Source {
  events: Iterable<unknown>;
  world?: HasDimensions;
  limit?: number;
}

function addSinkOptions(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'random seed: the same seed gives byte-identical output', '42')
    .option('--start <date>', 'first day (UTC), e.g. 2025-01-06')
    .option('--out <dir|file>', 'a directory (events.ndjson + dimension files) or an .ndjson file; default stdout')
    .option('--post <url>', 'post to a collector at URL (+ /v1/events) instead of writing files')
    .option('--rate <events/s>', 'target events per second when posting (default: as fast as accepted)')
    .option('--batch <n>', 'events per request when posting', '1000')
    .option('--concurrency <n>', 'requests in flight when posting', '2')
    .option('--token <token>', 'bearer token for the collector (default: $TRIBUTARY_API_TOKEN)');
}

/** Treats --out as a file when it names an .ndjson/.jsonl file, otherwise as a directory. */
function isFileTarget(out: string): boolean {
  if (existsSync(out) && statSync(out).isDirectory()) return false;
  return ['.ndjson', '.jsonl', '.json'].includes(extname(out).toLowerCase());
}

async function run(source: Source, o: SinkOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(s);
  if (o.post) {
    const rate = o.rate === undefined ? 0 : numberOption('--rate', o.rate, 0, 0);
    const batch = intOption('--batch', o.batch, 1000, 1, 10_000);
    const concurrency = intOption('--concurrency', o.concurrency, 2, 1, 64);
    if (o.out && source.world) {
      // the collector takes events only: dimension tables still go to files for `ingest`
      const dir = isFileTarget(o.out) ? dirname(o.out) : o.out;
      for (const f of await writeDimensions(source.world, dir)) log(`wrote ${f.rows} rows to ${f.file}\n`);
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    let last = 0;
    const tty = process.stderr.isTTY;
    const progress = (p: PostProgress) => {
      const now = performance.now();
      if (now - last < 1000) return;
      last = now;
      const line = `sent ${p.sent}  accepted ${p.accepted}  rejected ${p.rejected}  ${Math.round(p.rate)} events/s  retries ${p.retries}`;
      log(tty ? `\r${line}   ` : `${line}\n`);
    };
    try {
      const s = await postEvents(source.events, {
        url: o.post, rate, batch, concurrency, limit: source.limit, onProgress: progress, signal: controller.signal,
        token: o.token ?? process.env.TRIBUTARY_API_TOKEN ?? undefined,
      });
      if (tty && last) log('\n');
      log(`done: ${s.sent} events sent, ${s.accepted} accepted, ${s.rejected} rejected in ${s.batches} batches, ${s.seconds.toFixed(2)} s, ${Math.round(
        s.rate,
      )} events/s${s.retries ? `, ${s.retries} retries` : ''}${controller.signal.aborted ? ' (interrupted)' : ''}\n`);
      for (const x of s.examples) log(`  rejected #${x.index}${x.event_id ? ` (${x.event_id})` : ''}: ${x.field}: ${x.message}\n`);
    } finally {
      process.off('SIGINT', stop);
    }
    return;
  }
  if (o.rate !== undefined) usage('--rate applies only with --post');
  const t0 = performance.now();
  if (!o.out) {
    const n = await writeNdjsonTo(process.stdout, source.events, source.limit);
    log(`wrote ${n} events in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
    return;
  }
  let eventsFile: string;
  if (isFileTarget(o.out)) {
    mkdirSync(dirname(o.out), { recursive: true });
    eventsFile = o.out;
  } else {
    mkdirSync(o.out, { recursive: true });
    eventsFile = join(o.out, 'events.ndjson');
  }
  const n = await writeNdjsonFile(eventsFile, source.events, source.limit);
  const secs = (performance.now() - t0) / 1000;
  log(`wrote ${n} events to ${eventsFile} in ${secs.toFixed(2)} s (${Math.round(n / Math.max(secs, 1e-9))} events/s)\n`);
  if (source.world) {
    if (isFileTarget(o.out)) log('dimension tables not written: give --out a directory to get them\n');
    else for (const f of await writeDimensions(source.world, o.out)) log(`wrote ${f.rows} rows to ${f.file}\n`);
  }
}

const guard = (fn: () => Promise<void>) => fn().catch((e: Error) => fail(e.message));

export function register(program: Command): void {
  const generate = program.command('generate')
    .description('generate a synthetic world (seeded, deterministic) as NDJSON or post it to a collector');

  addSinkOptions(generate.command('music').description('users, tracks and their plays, skips, likes and searches'))
    .option('--users <n>', 'number of users', '200')
    .option('--tracks <n>', 'number of tracks', '2000')
    .option('--days <n>', 'days of listening', '30')
    .option('--events-per-user-per-day <n>', 'average events per user per day', '20')
    .action((o: SinkOptions & { users: string; tracks: string; days: string; eventsPerUserPerDay: string }) => guard(async () => {
      const world = musicWorld({
        seed: intOption('--seed', o.seed, 42, 0, 0xffffffff), users: intOption('--users', o.users, 200, 1),
        tracks: intOption('--tracks', o.tracks, 2000, 12), days: intOption('--days', o.days, 30, 1),
        eventsPerUserPerDay: numberOption('--events-per-user-per-day', o.eventsPerUserPerDay, 20, 0.01), start: o.start,
      });
      await run({ events: world.events(), world }, o);
    }));

  addSinkOptions(generate.command('retail').description('customers, products and order lines (Online Retail columns)'))
    .option('--customers <n>', 'number of customers', '500')
    .option('--products <n>', 'number of products', '300')
    .option('--months <n>', 'months of orders', '12')
    .action((o: SinkOptions & { customers: string; products: string; months: string }) => guard(async () => {
      const world = retailWorld({
        seed: intOption('--seed', o.seed, 42, 0, 0xffffffff), customers: intOption('--customers', o.customers, 500, 1),
        products: intOption('--products', o.products, 300, 8), months: intOption('--months', o.months, 12, 1), start: o.start,
      });
      await run({ events: world.events(), world }, o);
    }));

  addSinkOptions(generate.command('people').description('an endless stream of person records (name, age, city, income, job)'))
    .option('--count <n>', 'number of records; 0 = endless (only with --post, stop with Ctrl-C)', '10000')
    .option('--interval-ms <ms>', 'mean spacing of record timestamps', '1000')
    .action((o: SinkOptions & { count: string; intervalMs: string }) => guard(async () => {
      const count = intOption('--count', o.count, 10_000, 0);
      if (count === 0 && !o.post) throw new Error('--count 0 (endless) needs --post');
      const events = peopleStream({
        seed: intOption('--seed', o.seed, 42, 0, 0xffffffff), start: o.start,
        intervalMs: numberOption('--interval-ms', o.intervalMs, 1000, 0),
      });
      await run({ events, limit: count === 0 ? undefined : count }, o);
    }));
}
