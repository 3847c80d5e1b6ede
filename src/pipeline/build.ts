// The warehouse build as a pipeline: one step per SQL model (src/warehouse/sql/, in file-name
// order), each declaring the lake tables its SELECT reads and the one it writes, then a
// compaction step. Incremental by default: a model with a merge key (header `-- merge:`) reads
// only what its inputs committed since its watermarks and merges the recomputed rows by key
// (src/warehouse/incremental.ts); a model without one is an aggregate that cannot be merged, and
// says so in its progress line as it rebuilds. `--full` (mode 'full') rebuilds every model.
import { compactTable, type CompactionResult } from '../lake/compaction.ts';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lake } from '../lake/lake.ts';
import { VACUUM_MIN_AGE_MS, vacuumLake, type VacuumResult } from '../lake/vacuum.ts';
import { loadModels, SQL_DIR, type SqlModel } from '../warehouse/models.ts';
import { buildModelIncrementally } from '../warehouse/incremental.ts';
import type { PipelineDefinition, PlanEnv } from './execute.ts';
import type { Step, StepResult } from './runner.ts';

/**
 * The models a build runs, in order. One function, so model sources can be added in one place
 * (e.g. a project's own models/ folder next to ours).
 */
export function discoverModels(opts: { only?: string[] } = {}): SqlModel[] {
  const models = loadModels(SQL_DIR);
  if (!opts.only) return models;
  const unknown = opts.only.filter((t) => !models.some((m) => m.table === t));
  if (unknown.length) throw new Error(`build --only: no SQL model writes ${unknown.join(', ')}`);
  return models.filter((m) => opts.only!.includes(m.table));
}

/** Step names are the tables' names: `curated.plays` is the step `plays`. */
export const stepName = (table: string) => table.split('.')[1]!;

/** What a build's compaction did, over every table it compacted. */
export interface CompactionTotals { filesBefore: number; filesAfter: number; partitions: number; deletesFolded: number }

interface BuildCtx { env: PlanEnv; compactions: BackgroundCompactions; compaction?: CompactionTotals }

/**
 * Compactions that run beside the build's steps instead of after them all: a model's output
 * once its step has committed, and every table no model of the build writes (raw events) from
 * the start. Safe beside readers: a compaction changes no row, the files it retires stay for the
 * snapshots that list them (vacuum removes only what no snapshot lists), and no view is re-pointed,
 * so a step reads its inputs at the snapshots its session pinned (its marks) whatever commits
 * after. Each table is compacted by one of them at most, after its last writer of the build.
 * The compact step waits for them all, then compacts the tables none covered, and vacuums (at
 * 1x the compact step was a serial tail of 70-120 ms after the last model).
 */
export class BackgroundCompactions {
  private readonly running = new Set<Promise<void>>();
  private readonly results: CompactionResult[] = [];
  private failure: { error: unknown } | undefined;
  /** tables compacted (or being compacted) here */
  readonly tables = new Set<string>();

  constructor(private readonly env: Pick<PlanEnv, 'ws' | 'layout'>) {}

  start(table: string): void {
    if (this.tables.has(table)) return;
    this.tables.add(table);
    const p: Promise<void> = compactWithLayout(this.env, table).then(
      (r) => { this.results.push(r); },
      (e: unknown) => { this.failure ??= { error: e }; },
    ).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Waits for every compaction started; their results, or the first failure. */
  async settle(): Promise<CompactionResult[]> {
    while (this.running.size) await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
    return this.results;
  }
}

function compactWithLayout(env: Pick<PlanEnv, 'ws' | 'layout'>, table: string): Promise<CompactionResult> {
  return compactTable(env.ws.lake, table, {
    targetFileBytes: env.layout.target_file_bytes,
    minFiles: env.layout.compact_min_files,
    rowGroupRows: env.layout.row_group_rows,
  });
}

export function modelStep(m: SqlModel, env: PlanEnv, pipeline: string): Step<BuildCtx> {
  return {
    name: stepName(m.table),
    inputs: m.inputs,
    outputs: [m.table],
    async run(ctx): Promise<StepResult> {
      const marks = env.mode === 'full' ? new Map<string, number>() : await env.state.watermarks(pipeline, stepName(m.table));
      // its own connection to the session: steps run at the same time, each with its own temp
      // tables and DuckDB statements queued on its own connection
      const wh = await env.ws.wh.fork();
      let r: Awaited<ReturnType<typeof buildModelIncrementally>>;
      try {
        r = await buildModelIncrementally(wh, m, { watermarks: marks, full: env.mode === 'full', layout: env.layout });
      } finally {
        wh.close();
      }
      // its output compacted beside the steps after it (BackgroundCompactions)
      if (r.mode !== 'unchanged') ctx.compactions.start(m.table);
      return {
        rows: r.rowsOut, rowsIn: r.rowsIn ?? undefined, filesRead: r.filesRead, partitionsRead: r.partitionsRead,
        note: r.note, watermarks: r.watermarks,
        metrics: {
          merged: r.mode === 'merge' ? 1 : 0,
          rebuilt: r.mode === 'rebuild' ? 1 : 0,
          rows_inserted: r.inserted,
          rows_deleted: r.deleted,
          scope_values: r.scopeValues,
        },
      };
    },
  };
}

export function compactStep(env: PlanEnv, tables: () => Promise<string[]>): Step<BuildCtx> {
  return {
    name: 'compact',
    // its outputs are whatever it compacts: declared as none, it is re-run by a resume (idempotent)
    async run(ctx): Promise<StepResult> {
      let before = 0, after = 0, parts = 0, folded = 0;
      const results = await ctx.compactions.settle();
      for (const t of await tables()) if (!ctx.compactions.tables.has(t)) results.push(await compactWithLayout(env, t));
      for (const r of results) {
        before += r.filesBefore; after += r.filesAfter; parts += r.partitions; folded += r.deletesFolded;
      }
      ctx.compaction = { filesBefore: before, filesAfter: after, partitions: parts, deletesFolded: folded };
      // The session's views are left at the snapshots they read: a compaction changes no row, and
      // the files it retires are kept for the snapshots that list them (vacuum removes only what
      // no snapshot lists), so the views read the same rows; the next refresh() (each scheduled
      // run, the demo's next stage) points them at the compacted files. Re-pointing them here
      // bound every view again, and a view over hundreds of raw files takes ~30 ms to bind
      // (raw.order_line at 1x): a quarter of a 1% build's compaction.
      const vacuumed = await vacuumIfDue(env.ws.lake, env.ws.config.home);
      return {
        rows: after,
        note: `${before} -> ${after} files (${parts} partitions merged ` +
          `toward ${(env.layout.target_file_bytes / 2 ** 20).toFixed(0)} MB${folded ? `, ${folded} delete files folded` : ''})` +
          (vacuumed ? `; vacuum: ${vacuumed.files} unreferenced files removed` : ''),
        metrics: { files_before: before, files_after: after, vacuumed: vacuumed ? 1 : 0 },
      };
    },
  };
}

/** How often a build's compaction step vacuums the lake: a quarter of vacuum's grace period. */
export const VACUUM_EVERY_MS = VACUUM_MIN_AGE_MS / 4;

/**
 * Vacuums the lake (files killed runs left behind, older than the grace period) unless a build
 * did within VACUUM_EVERY_MS: it walks every file of the lake and reads every file the catalog
 * ever listed (~150 ms for the demo's 900 files, more than the rest of a 1% build's compaction),
 * and a file it may remove has waited an hour already, so a quarter hour more changes nothing.
 * When it last ran is the mtime of a marker file in the workspace's home.
 */
export async function vacuumIfDue(lake: Lake, home: string, now = Date.now()): Promise<VacuumResult | null> {
  const marker = join(home, 'vacuumed-at');
  const last = statSync(marker, { throwIfNoEntry: false })?.mtimeMs;
  if (last !== undefined && now - last < VACUUM_EVERY_MS && last <= now) return null;
  const r = await vacuumLake(lake);
  writeFileSync(marker, new Date(now).toISOString() + '\n');
  utimesSync(marker, now / 1000, now / 1000);
  return r;
}

export const buildPipeline: PipelineDefinition<BuildCtx, { compaction: CompactionTotals | null }> = {
  name: 'build',
  description: 'the warehouse: every SQL model as a step (incremental where it has a merge key), then compaction',
  async plan(env) {
    const only = env.args.only as string[] | undefined;
    const models = discoverModels({ only });
    const steps: Step<BuildCtx>[] = models.map((m) => modelStep(m, env, 'build'));
    // compaction declares no tables: it runs once every model has finished
    steps.push(compactStep(env, async () => (await env.ws.lake.catalog.tables()).map((t) => t.table)));
    // models run as a dataflow (each after the models it reads), as many at once as the layout
    // says; `concurrency` (tests, measurements) overrides it
    const concurrency = Number(env.args.concurrency ?? env.layout.concurrent_steps);
    // the tables no model of this build writes (raw events) are compacted from the start
    const compactions = new BackgroundCompactions(env);
    const written = new Set(models.map((m) => m.table));
    for (const t of await env.ws.lake.catalog.tables()) if (!written.has(t.table)) compactions.start(t.table);
    return {
      steps,
      ctx: { env, compactions },
      concurrency,
      params: { models: models.length, tables: models.map((m) => m.table).join(','), concurrency },
      // a failed run leaves no compaction running behind it (its failure is the compact step's to report)
      dispose: async () => { await compactions.settle().catch(() => {}); },
    };
  },
  // null when a resumed run reused every step, compaction included
  result: (ctx) => ({ compaction: ctx.compaction ?? null }),
};

export const compactPipeline: PipelineDefinition<BuildCtx> = {
  name: 'compact',
  description: 'lake maintenance: merge small files of every table toward the layout\'s target size',
  plan(env) {
    const tables = async () => (await env.ws.lake.catalog.tables()).map((t) => t.table);
    return { steps: [compactStep(env, tables)], ctx: { env, compactions: new BackgroundCompactions(env) } };
  },
};
