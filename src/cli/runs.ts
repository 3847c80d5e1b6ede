// `tributary runs list|show|compare`: the experiment tracking runs of this home's metadata
// database. Thin: parse, call src/tracking, print.
import type { Command } from 'commander';
import type { RunStatus, RunSummary } from '../tracking/index.ts';
import { fail, printJson, printTable, usage } from './output.ts';
import { withTracking } from './with-tracking.ts';

const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))));
const seconds = (ms: number | null) => (ms === null ? '' : (ms / 1000).toFixed(ms < 10_000 ? 3 : 1));
const brief = (o: Record<string, unknown>, max = 4) => {
  const keys = Object.keys(o);
  const s = keys.slice(0, max).map((k) => `${k}=${typeof o[k] === 'number' ? num(o[k] as number) : o[k]}`).join(' ');
  return keys.length > max ? `${s} (+${keys.length - max})` : s;
};

function runRow(r: RunSummary): Record<string, unknown> {
  return {
    id: r.id, pipeline: r.pipeline, step: r.step ?? '', status: r.status, started: r.startedAt.replace('T', ' ').slice(0, 19),
    seconds: seconds(r.durationMs), parent: r.parentRunId ? r.parentRunId.slice(0, 8) : '', metrics: brief(r.metrics),
  };
}

export function register(program: Command): void {
  const runs = program.command('runs').description('experiment tracking: runs with their params, metrics, stages and artifacts');

  runs.command('list').description('runs, newest first, a page at a time')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--step <name>', 'only this step')
    .option('--status <s>', 'running|finished|failed')
    .option('--parent <id>', 'only the child runs (trials) of this run')
    .option('--top-level', 'only runs without a parent')
    .option('--filter <expr>', `e.g. "metrics.rmse < 3 and params.depth = 6 and tags.team = 'ads'"`)
    .option('--limit <n>', 'page size (1..1000)', '50')
    .option('--page-token <token>', 'the next page, as printed by the previous one')
    .option('--json', 'print JSON')
    .action((o: {
      pipeline?: string;
      step?: string;
      status?: string;
      parent?: string;
      topLevel?: boolean;
      filter?: string;
      limit: string;
      pageToken?: string;
      json?: boolean;
    }) =>
      withTracking(async ({ tracker }) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) usage(`--limit must be an integer in 1..1000, got "${o.limit}"`);
        if (o.parent && o.topLevel) usage('--parent and --top-level exclude each other');
        const page = await tracker.listRuns({
          pipeline: o.pipeline, step: o.step, status: o.status as RunStatus | undefined, filter: o.filter, limit, pageToken: o.pageToken,
          parentRunId: o.topLevel ? null : o.parent,
        });
        if (o.json) return printJson(page);
        printTable(page.runs.map(runRow));
        if (page.nextPageToken) console.log(`more: --page-token ${page.nextPageToken}`);
      }));

  runs.command('show').argument('<id>', 'run id').description('one run: params, metrics, stages, artifacts, child runs')
    .option('--metric <name>', 'print the full curve (every step) of this metric')
    .option('--json', 'print JSON')
    .action((id: string, o: { metric?: string; json?: boolean }) =>
      withTracking(async ({ tracker }) => {
        const run = await tracker.getRun(id);
        const curve = o.metric ? await tracker.metricHistory(id, o.metric) : undefined;
        if (o.metric && curve!.length === 0) fail(`run ${id} has no metric "${o.metric}" (has: ${Object.keys(run.metrics).join(', ') || 'none'})`);
        if (o.json) return printJson(curve ? { ...run, curve: { metric: o.metric, points: curve } } : run);
        console.log(`run ${run.id}  ${run.pipeline}${run.step ? ` / ${run.step}` : ''}  ${run.status}`);
        console.log(`started ${run.startedAt}${run.endedAt ? `, ended ${run.endedAt} (${seconds(run.durationMs)} s)` : ''}`);
        if (run.parentRunId) console.log(`parent ${run.parentRunId}`);
        if (run.codeVersion) console.log(`code ${run.codeVersion}`);
        if (run.error) console.log(`error: ${run.error}`);
        const kv = (title: string, o: Record<string, unknown>) => {
          if (Object.keys(o).length === 0) return;
          console.log(`\n${title}`);
          printTable(Object.entries(o).map(([k, v]) => ({ name: k, value: typeof v === 'number' ? num(v) : v })));
        };
        kv('params', run.params);
        kv('metrics (last value)', run.metrics);
        kv('tags', run.tags);
        if (run.stages.length) {
          console.log('\nstages');
          printTable(run.stages.map((s) => ({ stage: s.name, seconds: seconds(s.durationMs), status: s.status, started: s.startedAt })));
        }
        if (run.artifacts.length) {
          console.log('\nartifacts');
          printTable(run.artifacts.map((a) => ({ name: a.name, bytes: a.size, sha256: a.sha256, path: a.path })));
        }
        if (run.childRunIds.length) console.log(`\nchild runs (${run.childRunIds.length}): ${run.childRunIds.join(' ')}`);
        if (curve) {
          console.log(`\n${o.metric} by step`);
          printTable(curve.map((p) => ({ step: p.step, value: num(p.value), logged: p.loggedAt })));
        }
      }));

  runs.command('compare').argument('<ids...>', 'two or more run ids').description('runs side by side: every param and last metric value')
    .option('--json', 'print JSON')
    .action((ids: string[], o: { json?: boolean }) =>
      withTracking(async ({ tracker }) => {
        if (ids.length < 2) usage('compare needs at least two run ids');
        const cmp = await tracker.compareRuns(ids);
        if (o.json) return printJson(cmp);
        const col = (r: RunSummary) => r.id.slice(0, 12);
        const rows: Record<string, unknown>[] = [
          { field: 'pipeline', ...Object.fromEntries(cmp.runs.map((r) => [col(r), r.pipeline + (r.step ? `/${r.step}` : '')])) },
          { field: 'status', ...Object.fromEntries(cmp.runs.map((r) => [col(r), r.status])) },
          { field: 'seconds', ...Object.fromEntries(cmp.runs.map((r) => [col(r), seconds(r.durationMs)])) },
          ...cmp.paramKeys.map((k) => ({ field: `params.${k}`, ...Object.fromEntries(cmp.runs.map((r) => [col(r), r.params[k] ?? ''])) })),
          ...cmp.metricKeys.map((k) => ({ field: `metrics.${k}`, ...Object.fromEntries(cmp.runs.map((r) => [col(r), num(r.metrics[k])])) })),
        ];
        printTable(rows, ['field', ...cmp.runs.map(col)]);
      }));
}
