// `tributary experiment start|status|stop`: A/B tests of two versions of a model
// (src/monitoring/experiments.ts has the assignment and the decision rule).
import type { Command } from 'commander';
import { ACCEPTANCE_MODELS } from '../analytics/music/features.ts';
import {
  experimentStatus, getExperiment, listExperiments, runningExperiment, startExperiment, stopExperiment, type Experiment,
  type ExperimentDecision,
} from '../monitoring/experiments.ts';
import { ModelRegistry } from '../tracking/index.ts';
import { buildModels } from '../warehouse/models.ts';
import { openWorkspace, type Workspace } from '../warehouse/workspace.ts';
import { fail, printJson, printTable } from './output.ts';

async function find(ws: Workspace, ref: string): Promise<Experiment> {
  const e = (await getExperiment(ws.store, ref)) ?? (await runningExperiment(ws.store, ref));
  if (!e) fail(`no experiment "${ref}" (and no running experiment on a model of that name)`);
  return e;
}

async function status(ws: Workspace, e: Experiment): Promise<ExperimentDecision> {
  await ws.lake.flush();
  await ws.wh.refresh();
  await buildModels(ws.wh, { only: ACCEPTANCE_MODELS });
  return experimentStatus(ws.wh, e, ws.config.experiments);
}

function printDecision(e: Experiment, d: ExperimentDecision): void {
  console.log(`experiment ${e.id} on ${e.model}: a = v${e.arms.a}, b = v${e.arms.b} (${Math.round(100 * e.split)}% of users in b), ${e.status}`);
  printTable(d.arms.map((a) => ({
    arm: a.arm,
    version: a.version,
    users: a.users,
    shown: a.shown,
    accepted: a.accepted,
    acceptance: a.acceptance,
    ci_low: a.ci[0],
    ci_high: a.ci[1],
  })));
  console.log(`b - a: ${d.difference.toFixed(4)} (${(100 * (1 - d.alpha)).toFixed(0)}% ` +
    `CI ${d.ci[0].toFixed(4)}..${d.ci[1].toFixed(4)}), p = ${d.p_value.toPrecision(3)}\ndecision: ${d.reason}`);
}

export function register(program: Command): void {
  const ex = program.command('experiment').description('A/B tests: two versions of a model served to disjoint, deterministic groups of users');
  ex.command('start <model> <versionA> <versionB>')
    .description('serve versionA to arm a and versionB to arm b (a user\'s arm: hash of experiment id and user id)')
    .option('--split <x>', 'share of users in arm b', '0.5')
    .option('--id <id>', 'experiment id (default generated)')
    .action(async (model: string, a: string, b: string, o: { split: string; id?: string }) => {
      const ws = await openWorkspace();
      try {
        const registry = new ModelRegistry(ws.store, { home: ws.config.home });
        const e = await startExperiment(ws.store, registry, { model, a, b, split: Number(o.split), id: o.id })
          .catch((err: Error) => fail(err.message));
        console.log(`started experiment ${e.id} on ${model}: a = v${e.arms.a}, b = v${e.arms.b}`);
      } finally { await ws.close(); }
    });
  ex.command('status [experiment]')
    .description('acceptance per arm with confidence intervals and the decision rule\'s verdict (an id, or a model with a running experiment; none: list them)')
    .option('--json', 'print JSON')
    .action(async (ref: string | undefined, o: { json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        if (!ref) {
          const all = await listExperiments(ws.store);
          if (o.json) printJson(all); else printTable(all.map((e) => ({
            id: e.id,
            model: e.model,
            a: e.arms.a,
            b: e.arms.b,
            status: e.status,
            started: e.started_at,
            winner: e.decision?.winner ?? '',
          })));
          return;
        }
        const e = await find(ws, ref);
        const d = await status(ws, e);
        if (o.json) printJson({ experiment: e, decision: d }); else printDecision(e, d);
      } finally { await ws.close(); }
    });
  ex.command('stop <experiment>')
    .description('stop the experiment with its decision; a winner becomes the champion (unless --no-promote)')
    .option('--no-promote', 'record the decision without promoting')
    .option('--json', 'print JSON')
    .action(async (ref: string, o: { promote: boolean; json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const e = await find(ws, ref);
        if (e.status !== 'running') fail(`experiment ${e.id} is already stopped`);
        const d = await status(ws, e);
        const r = await stopExperiment(ws.store, new ModelRegistry(ws.store, { home: ws.config.home }), e, d, { promote: o.promote });
        if (o.json) printJson({ experiment: e.id, decision: d, promoted: r.promoted });
        else { printDecision(e, d); console.log(r.promoted ? `promoted ${e.model} v${r.promoted} to champion` : 'no promotion'); }
      } finally { await ws.close(); }
    });
}
