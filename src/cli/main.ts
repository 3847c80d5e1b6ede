// The `tributary` command. Each command group lives in its own file and registers itself here.
// Only the invoked group's module is loaded (they pull in DuckDB, the ML core, Fastify...), so
// a command starts in a fraction of the time; help and unknown commands load them all.
import { Command, CommanderError } from 'commander';
import { EXIT_FAILURE, EXIT_USAGE, codeOf, exitWith, jsonMode } from './output.ts';

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
  .showHelpAfterError()
  // usage errors come back here (exit 2, JSON under --json) instead of commander's exit 1
  .exitOverride()
  .configureOutput({ outputError: (text, write) => { if (!jsonMode()) write(text); } });

function listCommands(cmd: Command, path: string[] = []): { command: string; description: string; options: string[] }[] {
  return cmd.commands.flatMap((c) => c.commands.length
    ? listCommands(c, [...path, c.name()])
    : [{ command: [...path, c.name()].join(' '), description: c.description(), options: c.options.map((o) => o.long ?? o.flags) }]);
}

/** Every command takes --json (see output.ts for the one shape); groups get it on their leaves. */
function addJsonEverywhere(cmd: Command): void {
  for (const c of cmd.commands) {
    if (c.commands.length) { addJsonEverywhere(c); continue; }
    if (!c.options.some((o) => o.long === '--json')) c.option('--json', 'print one JSON object (errors too)');
  }
}

async function main(): Promise<void> {
  const invoked = process.argv[2];
  const only = GROUPS.find(([names]) => invoked !== undefined && names.includes(invoked));
  for (const [, loader] of only ? [only] : GROUPS) (await loader())(program);
  addJsonEverywhere(program);
  // for the conventions test: every command with its options, in one process
  if (process.env.TRIBUTARY_LIST_COMMANDS) return console.log(JSON.stringify(listCommands(program)));
  await program.parseAsync(process.argv);
}

main().catch((e: Error) => {
  if (e instanceof CommanderError) {
    // help and --version end here too, with exit code 0
    if (e.exitCode === 0) process.exit(0);
    if (!jsonMode()) process.exit(EXIT_USAGE); // commander has printed the error and the usage
    exitWith(EXIT_USAGE, 'usage', e.message.replace(/^error: /, ''));
  }
  if (process.env.DEBUG) console.error(e.stack);
  exitWith((e as { exit?: number }).exit ?? EXIT_FAILURE, codeOf(e), e.message);
});
