// `tributary monitor report [--json] [--out report.html] [--retrain] [--model NAME]`,
// `tributary monitor alerts [--json]` and `tributary retrain MODEL [--margin X] [--json]`:
// thin entry points over src/monitoring (monitor.ts, retrain.ts).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { listAlerts } from '../monitoring/alerts.ts';
import { closeThreadPool } from '../util/thread-pool.ts';
import { runMonitor, type MonitorReport } from '../monitoring/monitor.ts';
import { RECIPES } from '../monitoring/recipes.ts';
import { renderMonitorHtml } from '../monitoring/report-html.ts';
import { retrainModel } from '../monitoring/retrain.ts';
import { openWorkspace } from '../warehouse/workspace.ts';
import { fail, printJson, printTable } from './output.ts';

const err = (l: string) => process.stderr.write(l + '\n');

function printReport(r: MonitorReport): void {
  for (const m of r.models) {
    console.log(`\n${m.model} v${m.version} (${m.kind})${m.skipped ? `: not monitored (${m.skipped})` : ''}`);
    if (m.skipped) continue;
    printTable([...m.features, ...(m.prediction ? [m.prediction] : [])].map((f) => ({
      feature: f.feature,
      psi: f.psi,
      ks: f.ks,
      ks_pvalue: f.ks_pvalue,
      n_ref: f.n_ref,
      n_cur: f.n_cur,
      verdict: f.alerting ? f.verdict : `${f.verdict} (reported only)`,
    })));
    if (m.quality.length) printTable(m.quality.map((q) => ({ quality: q.metric, value: q.value, threshold: q.threshold, n: q.n, breached: q.breached })));
    for (const a of m.alerts) console.log(`ALERT ${a.severity}: ${a.message}`);
    if (m.retrain) console.log(`retrained (${m.retrain.trigger}): ${m.retrain.decision.reason}; champion v${m.retrain.champion_after}`);
  }
  console.log(`\n${r.alerts.length} alert(s) recorded`);
}

export function register(program: Command): void {
  const monitor = program.command('monitor').description('drift, live quality and alerts of the served models');
  monitor.command('report')
    .description('monitor every served model now: PSI/KS drift vs its training snapshot, prediction drift, live quality; alerts are recorded')
    .option('--json', 'print the report as JSON')
    .option('--out <file>', 'also write a self-contained HTML report')
    .option('--model <name...>', 'only these models')
    .option('--retrain', 'retrain a model whose alerts call for it (gated: promoted only when better)')
    .option('--no-record', 'do not record the alerts')
    .action(async (o: { json?: boolean; out?: string; model?: string[]; retrain?: boolean; record: boolean }) => {
      const ws = await openWorkspace();
      try {
        const r = await runMonitor(ws, { models: o.model, retrain: o.retrain, record: o.record, log: err }).catch((e: Error) => fail(e.message));
        if (o.out) { writeFileSync(o.out, renderMonitorHtml(r)); err(`wrote ${o.out}`); }
        if (o.json) printJson(r); else printReport(r);
      } finally { await ws.close(); await closeThreadPool(); }
    });
  monitor.command('alerts')
    .description('alerts recorded by the monitor, newest first')
    .option('--model <name>', 'only this model')
    .option('--open', 'only alerts no promotion has resolved')
    .option('--json', 'print JSON')
    .action(async (o: { model?: string; open?: boolean; json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const alerts = await listAlerts(ws.store, { model: o.model, open: o.open });
        if (o.json) printJson(alerts);
        else printTable(alerts.map((a) => ({
          id: a.id,
          at: a.created_at,
          model: `${a.model} v${a.version ?? '?'}`,
          kind: a.kind,
          subject: a.subject,
          statistic: a.statistic,
          value: a.value,
          threshold: a.threshold,
          severity: a.severity,
          resolved: a.resolved_at ?? '',
        })));
      } finally { await ws.close(); }
    });

  program.command('retrain <model>')
    .description('retrain a model with its champion\'s recipe on the newest data; both scored on the same recent ' +
      'holdout; promoted only when better by the margin')
    .option('--margin <x>', 'relative margin the challenger must win by (default: config retrain.margin, 0.02)')
    .option('--seed <n>', 'seed (default: the champion\'s)')
    .option('--json', 'print the decision as JSON')
    .action(async (model: string, o: { margin?: string; seed?: string; json?: boolean }) => {
      const margin = o.margin === undefined ? undefined : Number(o.margin);
      if (margin !== undefined && !(margin >= 0 && margin < 1)) fail(`--margin must be a number in [0, 1), got "${o.margin}"`);
      const seed = o.seed === undefined ? undefined : Number(o.seed);
      if (seed !== undefined && !Number.isInteger(seed)) fail(`--seed must be an integer, got "${o.seed}"`);
      const ws = await openWorkspace();
      try {
        const r = await retrainModel(ws, model, { recipes: RECIPES, margin, seed, trigger: 'cli', log: err }).catch((e: Error) => fail(e.message));
        if (o.json) printJson(r);
        else console.log(`${r.model}: challenger v${r.challenger_version} vs champion ` +
          `v${r.champion_version}: ${r.decision.reason}\nchampion is now v${r.champion_after}`);
      } finally { await ws.close(); }
    });
}
