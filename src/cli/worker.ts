// `tributary worker`: takes queued batch work from JetStream (NATS_URL) until stopped.
// `tributary jobs search ...`: queues a hyper-parameter search as one trial job per combination;
// `tributary jobs results SEARCH`: the trials recorded so far, best first.
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

export function register(program: Command): void {
  program.command('worker').description('take queued batch work (hyper-parameter trials) from JetStream; results go to tracking; run any number')
    .action(async () => {
      const { config, bus: b } = await bus();
      const { startWorker } = await import('../pipeline/jobs.ts');
      const w = await startWorker(b, config, (m) => console.error(m));
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
    .option('--json', 'print JSON')
    .action(async (o: { data: string; target: string; task: string; model: string; test?: string; search: string[]; seed: string; json?: boolean }) => {
      if (o.task !== 'regression' && o.task !== 'classification') fail(`--task must be regression or classification, got "${o.task}"`);
      const { parseSearch } = await import('../pipeline/train.ts');
      const { submitSearch } = await import('../pipeline/jobs.ts');
      let space;
      try { space = parseSearch(o.search); } catch (e) { fail((e as Error).message); }
      const { bus: b } = await bus();
      try {
        const r = await submitSearch(b, { data: o.data, test: o.test, search: space!, train: { task: o.task as 'regression', target: o.target, model: o.model, seed: Number(o.seed) } });
        if (o.json) printJson(r);
        else console.log(`queued search ${r.search}: ${r.jobs} trial${r.jobs === 1 ? '' : 's'}; results: tributary jobs results ${r.search}`);
      } finally { await b.close(); }
    });
  jobs.command('results').argument('<search>').description('the trials of a search recorded so far, best first')
    .option('--json', 'print JSON')
    .action(async (search: string, o: { json?: boolean }) => {
      const { searchResults } = await import('../pipeline/jobs.ts');
      const rows = await searchResults(loadConfig(), search);
      const score = (r: { metrics: Record<string, number> }) => r.metrics.rmse ?? r.metrics.log_loss ?? Infinity;
      rows.sort((a, b) => score(a) - score(b));
      if (o.json) return printJson(rows);
      printTable(rows.map((r) => ({ run: r.runId.slice(0, 12), status: r.status, worker: r.worker ?? '', ...r.params, rmse: r.metrics.rmse, log_loss: r.metrics.log_loss, r2: r.metrics.r2, accuracy: r.metrics.accuracy })));
    });
}
