// Runs the `generate` command group on its own (the real entry src/cli/main.ts wires it in
// with the others), so the CLI tests do not depend on every other command group.
import { Command } from 'commander';
import { register } from '../../../src/cli/generate.ts';

const program = new Command('tributary').exitOverride();
register(program);
program.parseAsync(process.argv).catch((e: Error & { code?: string }) => {
  if (!String(e.code).startsWith('commander.')) console.error(`error: ${e.message}`);
  process.exit(1);
});
