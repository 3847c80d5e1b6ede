// The `tributary` command. Each command group lives in its own file and registers itself here.
import { Command } from 'commander';
import { register as serve } from './serve.ts';
import { register as lake } from './lake.ts';
import { register as warehouse } from './warehouse.ts';
import { register as demo } from './demo.ts';
import { register as generate } from './generate.ts';
import { register as train } from './train.ts';
import { register as recommend } from './recommend.ts';
import { register as runs } from './runs.ts';
import { register as models } from './models.ts';
import { register as run } from './run.ts';
import { register as eda } from './eda.ts';

const program = new Command('tributary')
  .description('Tributary: events → lake → warehouse → models → API, in one process')
  .version('0.1.0')
  .showHelpAfterError();

for (const register of [demo, serve, generate, warehouse, lake, train, recommend, run, runs, models, eda]) register(program);

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`error: ${e.message}`);
  if (process.env.DEBUG) console.error(e.stack);
  process.exit(1);
});
