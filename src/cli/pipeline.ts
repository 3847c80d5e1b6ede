// `tributary run NAME [--full] [--resume [RUN_ID]]` for the named pipelines of src/pipeline/,
// `tributary pipeline runs NAME` and `tributary schedule`. Parses, calls, prints.
import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { executePipeline } from '../pipeline/execute.ts';
import { PIPELINES, loadPipeline } from '../pipeline/pipelines.ts';
import { formatSummary } from '../pipeline/runner.ts';
import { Scheduler } from '../pipeline/scheduler.ts';
import { leaseHolder, PipelineState } from '../pipeline/state.ts';
import { openWorkspace } from '../warehouse/workspace.ts';
import { fail, printJson, printTable } from './output.ts';

export interface PipelineFlags { full?: boolean; resume?: boolean | string; json?: boolean }

/** Adds the options every pipeline run takes. */
export function pipelineOptions(cmd: Command): Command {
  return cmd
    .option('--full', 'rebuild every output from scratch instead of an incremental run')
    .option('--resume [run_id]', 'resume the newest unfinished run (or this one), reusing the steps it finished')
    .option('--json', 'print the run as JSON');
}

export async function runNamed(name: string, o: PipelineFlags, args: Record<string, unknown> = {}): Promise<void> {
  const def = await loadPipeline(name);
  const ws = await openWorkspace();
  try {
    const r = await executePipeline(ws, def, { full: o.full, resume: o.resume, args }).catch((e: Error) => fail(e.message));
    if (o.json) printJson({
      run_id: r.runId,
      mode: r.mode,
      resumed_from: r.resumedFrom,
      layout: r.layout,
      seconds: r.pipeline.seconds,
      stages: r.pipeline.stages,
    });
    else console.log(`\n${formatSummary(r.pipeline)}\nrun ${r.runId} ` +
      `(${r.mode}${r.resumedFrom ? `, resumed ${r.resumedFrom}` : ''}); layout: ${r.layout.threads} ` +
      `threads, ${(r.layout.target_file_bytes / 2 ** 20).toFixed(0)} MB files, row groups of ${r.layout.row_group_rows}`);
  } finally { await ws.close(); }
}

/** `run NAME` for every named pipeline but those with a command of their own (`except`). */
export function registerRun(run: Command, except: string[] = []): void {
  for (const [name, p] of Object.entries(PIPELINES)) {
    if (except.includes(name)) continue;
    const cmd = pipelineOptions(run.command(name).description(p.description));
    if (name === 'build') cmd.option('--only <tables...>', 'build only these tables');
    cmd.action((o: PipelineFlags & { only?: string[] }) => runNamed(name, o, o.only ? { only: o.only } : {}));
  }
}

export function register(program: Command): void {
  const p = program.command('pipeline').description('the named pipelines and their runs');
  p.command('list').description('the pipelines `tributary run` knows').action(() => {
    printTable(Object.entries(PIPELINES).map(([name, x]) => ({ name, description: x.description })));
  });
  p.command('runs').argument('<name>', 'pipeline name').description('recent runs of a pipeline and their steps')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const state = new PipelineState(ws.store);
        const runs = await state.runs(name);
        if (o.json) { printJson(runs); return; }
        printTable(runs.map((r) => ({
          run: r.runId,
          status: r.status,
          mode: r.mode,
          resumed_from: r.resumedFrom ?? '',
          started: r.startedAt,
          ended: r.endedAt ?? '',
          threads: r.layout.threads as number,
        })));
      } finally { await ws.close(); }
    });

  program.command('schedule').description('run pipelines on the cron expressions of tributary.config.json ' +
    '("schedules"); one run per slot across every scheduler sharing the metadata database')
    .option('--interval-ms <n>', 'how often to look for due slots', '1000')
    .option('--for-ms <n>', 'stop after this long (default: until SIGINT/SIGTERM)')
    .option('--status', 'print the claimed slots and exit')
    .action(async (o: { intervalMs: string; forMs?: string; status?: boolean }) => {
      const config = loadConfig();
      const ws = await openWorkspace({ config });
      try {
        if (o.status) {
          printTable((await new PipelineState(ws.store).claims()).map((c) => ({
            pipeline: c.pipeline,
            due: c.dueAt,
            by: c.claimedBy,
            status: c.status,
            run: c.runId ?? '',
            error: c.error ?? '',
          })));
          return;
        }
        if (!config.schedules.length) fail('no schedules: add "schedules": [{"pipeline": "build", "cron": "*/15 * * * *"}] to tributary.config.json');
        for (const s of config.schedules) await loadPipeline(s.pipeline);
        const by = leaseHolder('sched');
        const scheduler = new Scheduler({
          store: ws.store, entries: config.schedules, by,
          log: (l) => process.stderr.write(l + '\n'),
          run: async (entry, slot) => {
            const r = await executePipeline(ws, await loadPipeline(entry.pipeline), {
              full: entry.full,
              args: entry.args,
              tags: { scheduled_for: slot, scheduler: by },
              log: (l) => process.stderr.write(l + '\n'),
            });
            // a scheduled run sees what later runs committed: re-point the views at the latest snapshots
            await ws.wh.refresh();
            return { runId: r.runId };
          },
        });
        process.stderr.write(`schedule: ${config.schedules.map((s) => `${s.pipeline} "${s.cron}" (missed: ${s.missed})`).join('; ')} as ${scheduler.by}\n`);
        scheduler.start(Number(o.intervalMs));
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          if (o.forMs) setTimeout(stop, Number(o.forMs)).unref();
        });
        process.stderr.write('schedule: stopping (waiting for runs in progress)\n');
        await scheduler.stop();
      } finally { await ws.close(); }
    });
}
