// `tributary worker`: takes queued batch work from JetStream (NATS_URL) until stopped.
// `tributary jobs search ...`: queues a hyper-parameter search as one trial job per combination;
// `tributary jobs build --model T`: queues a build of an SQL model by day, one job per day;
// `tributary jobs results ID`: a search's trials (best first) or a build's days recorded so far.
// A named queue (--queue or JOBS_QUEUE) keeps one team's jobs apart from another's on one NATS.
import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { fail, printJson, printTable } from './output.ts';

const collect = (v: string, prev: string[] = []) => prev.concat([v]);

async function bus() {
  const config = loadConfig();
  if (!config.natsUrl) fail('NATS_URL is not set: batch work is queued on NATS JetStream');
  const { openBus } = await import('../bus/index.ts');
  return { config, bus: await openBus({ natsUrl: config.natsUrl, name: `tributary-${process.argv[2]}-${process.pid}` }) };
}

async function queueOf(name: string | undefined) {
  const { jobQueue } = await import('../pipeline/jobs.ts');
  try { return jobQueue(name ?? (process.env.JOBS_QUEUE || undefined)); } catch (e) { return fail(`--queue: ${(e as Error).message}`); }
}

export function register(program: Command): void {
  program.command('worker').description('take queued batch work (hyper-parameter trials, SQL models built by day) from ' +
    'JetStream; results go to tracking; run any number')
    .option('--queue <name>', 'take jobs from this named queue (JOBS_QUEUE; default: the shared one)')
    .option(
      '--ack-wait <s>',
      'seconds before the job of a worker gone silent goes to another (JOBS_ACK_WAIT_S, default 60; fixed when the queue is first used)',
    )
    .action(async (o: { queue?: string; ackWait?: string }) => {
      const queue = await queueOf(o.queue);
      const wait = o.ackWait ?? (process.env.JOBS_ACK_WAIT_S || undefined);
      if (wait !== undefined && !(Number(wait) > 0)) fail(`--ack-wait: expected seconds above 0, got "${wait}"`);
      const { config, bus: b } = await bus();
      const { startWorker } = await import('../pipeline/jobs.ts');
      const w = await startWorker(b, config, (m) => console.error(m), { queue, ackWaitMs: wait === undefined ? undefined : Number(wait) * 1000 });
      console.log(`worker ${process.pid} running; taking jobs from JetStream at ${config.natsUrl}`);
      const stop = async () => { await w.stop(); await b.close(); process.exit(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  const jobs = program.command('jobs').description('queue batch work for `tributary worker` processes and gather the results');
  jobs.command('search').description('queue a hyper-parameter search: one trial job per combination')
    .requiredOption('--data <src>', 'training data: a file or lake:zone.table')
    .requiredOption('--target <col>', 'column to predict')
    .option('--task <task>', 'regression|classification', 'regression')
    .option('--model <name>', 'linear|ridge|random-forest|gbdt (classification: logistic|linear|random-forest|gbdt)', 'random-forest')
    .option('--test <src>', 'test data (default: a held-out share of --data)')
    .option('--search <spec>', 'NAME=v1,v2 (trees, rounds, depth, alpha, learning-rate); repeatable', collect, [])
    .option('--seed <n>', 'seed', '0')
    .option('--queue <name>', 'a named queue (JOBS_QUEUE)')
    .option('--json', 'print JSON')
    .action(async (o: {
      data: string;
      target: string;
      task: string;
      model: string;
      test?: string;
      search: string[];
      seed: string;
      queue?: string;
      json?: boolean;
    }) => {
      if (o.task !== 'regression' && o.task !== 'classification') fail(`--task must be regression or classification, got "${o.task}"`);
      const { parseSearch } = await import('../pipeline/train.ts');
      const { submitSearch } = await import('../pipeline/jobs.ts');
      let space;
      try { space = parseSearch(o.search); } catch (e) { fail((e as Error).message); }
      const { bus: b } = await bus();
      try {
        const r = await submitSearch(b, {
          data: o.data,
          test: o.test,
          search: space!,
          train: { task: o.task as 'regression', target: o.target, model: o.model, seed: Number(o.seed) },
          queue: await queueOf(o.queue),
        });
        if (o.json) printJson(r);
        else console.log(`queued search ${r.search}: ${r.jobs} trial${r.jobs === 1 ? '' : 's'}; results: tributary jobs results ${r.search}`);
      } finally { await b.close(); }
    });
  jobs.command('build').description('queue a build of an SQL model by day (header "-- partition: day"): one job per day ' +
    'its inputs hold, each day its partition of --into')
    .requiredOption('--model <table>', 'the model\'s table, e.g. curated.music_interactions_daily')
    .option('--into <table>', 'where the days go (default features.<model name>)')
    .option('--day <YYYY-MM-DD>', 'only this day; repeatable', collect, undefined)
    .option('--queue <name>', 'a named queue (JOBS_QUEUE)')
    .option('--json', 'print JSON')
    .action(async (o: { model: string; into?: string; day?: string[]; queue?: string; json?: boolean }) => {
      const { isDay } = await import('../warehouse/partitions.ts');
      for (const d of o.day ?? []) if (!isDay(d)) fail(`--day: expected a date YYYY-MM-DD, got "${d}"`);
      const queue = await queueOf(o.queue);
      const { submitDayBuild } = await import('../pipeline/jobs.ts');
      const { openWorkspace } = await import('../warehouse/workspace.ts');
      const { config, bus: b } = await bus();
      const ws = await openWorkspace({ config });
      try {
        const r = await submitDayBuild(b, ws, { model: o.model, into: o.into, days: o.day, queue }).catch((e: Error) => fail(e.message));
        if (o.json) printJson(r);
        else console.log(`queued build ${r.build}: ${o.model} into ${r.into}, ${r.days.length} day${r.days.length === 1 ? '' : 's'} (${r.days[0] ??
          ''}..${r.days.at(-1) ??
          ''}); progress: tributary jobs results ${r.build}`);
      } finally { await ws.close(); await b.close(); }
    });
  jobs.command('results').argument('<id>').description('a search\'s trials recorded so far (best first), or a build\'s days')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const { searchResults, dayBuildResults } = await import('../pipeline/jobs.ts');
      const days = await dayBuildResults(loadConfig(), id);
      if (days.length) {
        days.sort((a, b) => (a.params.day! < b.params.day! ? -1 : a.params.day! > b.params.day! ? 1 : 0));
        if (o.json) return printJson(days);
        printTable(days.map((r) => ({
          day: r.params.day,
          status: r.status,
          worker: r.worker ?? '',
          delivery: r.tags.delivery ?? '',
          rows: r.metrics.rows,
          run: r.runId.slice(0, 12),
        })));
        const done = new Set(days.filter((r) => r.status === 'finished').map((r) => r.params.day));
        console.log(`${done.size} day${done.size === 1 ? '' : 's'} built into ${days[0]!.params.into}`);
        return;
      }
      const rows = await searchResults(loadConfig(), id);
      const score = (r: { metrics: Record<string, number> }) => r.metrics.rmse ?? r.metrics.log_loss ?? Infinity;
      rows.sort((a, b) => score(a) - score(b));
      if (o.json) return printJson(rows);
      printTable(rows.map((r) => ({
        run: r.runId.slice(0, 12),
        status: r.status,
        worker: r.worker ?? '',
        ...r.params,
        rmse: r.metrics.rmse,
        log_loss: r.metrics.log_loss,
        r2: r.metrics.r2,
        accuracy: r.metrics.accuracy,
      })));
    });
}
