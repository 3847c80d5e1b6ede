// The `tributary` command. Each command group lives in its own file and registers itself here.
// Only the invoked group's module is loaded (they pull in DuckDB, the ML core, Fastify...), so
// a command starts in a fraction of the time; help and unknown commands load them all.
import { Command } from 'commander';

type Register = (program: Command) => void;
const load = (m: Promise<{ register: Register }>) => m.then((x) => x.register);

/** top-level command name -> the module that registers it (in the order help lists them) */
const GROUPS: [string[], () => Promise<Register>][] = [
  [['demo'], () => load(import('./demo.ts'))],
  [['serve'], () => load(import('./serve.ts'))],
  [['generate'], () => load(import('./generate.ts'))],
  [['ingest', 'query', 'build'], () => load(import('./warehouse.ts'))],
  [['lake'], () => load(import('./lake.ts'))],
  [['train'], () => load(import('./train.ts'))],
  [['recommend'], () => load(import('./recommend.ts'))],
  [['run'], () => load(import('./run.ts'))],
  [['pipeline', 'schedule'], () => load(import('./pipeline.ts'))],
  [['runs'], () => load(import('./runs.ts'))],
  [['models'], () => load(import('./models.ts'))],
  [['eda'], () => load(import('./eda.ts'))],
  [['stream'], () => load(import('./stream.ts'))],
  [['worker', 'jobs'], () => load(import('./worker.ts'))],
  [['simulate'], () => load(import('./simulate.ts'))],
  [['experiment'], () => load(import('./experiment.ts'))],
  [['monitor', 'retrain'], () => load(import('./monitor.ts'))],
];

const program = new Command('tributary')
  .description('Tributary: events → lake → warehouse → models → API, in one process')
  .version('0.1.0')
  .showHelpAfterError();

async function main(): Promise<void> {
  const invoked = process.argv[2];
  const only = GROUPS.find(([names]) => invoked !== undefined && names.includes(invoked));
  for (const [, loader] of only ? [only] : GROUPS) (await loader())(program);
  await program.parseAsync(process.argv);
}

main().catch((e: Error) => {
  console.error(`error: ${e.message}`);
  if (process.env.DEBUG) console.error(e.stack);
  process.exit(1);
});
