// The warehouse build as a pipeline: one step per SQL model (src/warehouse/sql/, in file-name
// order), each declaring the lake tables its SELECT reads and the one it writes, then a
// compaction step. Incremental by default: a model with a merge key (header `-- merge:`) reads
// only what its inputs committed since its watermarks and merges the recomputed rows by key
// (src/warehouse/incremental.ts); a model without one is an aggregate that cannot be merged, and
// says so in its progress line as it rebuilds. `--full` (mode 'full') rebuilds every model.
import { compactTable } from '../lake/compaction.ts';
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

interface BuildCtx { env: PlanEnv }

export function modelStep(m: SqlModel, env: PlanEnv, pipeline: string): Step<BuildCtx> {
  return {
    name: stepName(m.table),
    inputs: m.inputs,
    outputs: [m.table],
    async run(): Promise<StepResult> {
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
    async run(): Promise<StepResult> {
      let before = 0, after = 0, parts = 0, folded = 0;
      for (const t of await tables()) {
        const r = await compactTable(env.ws.lake, t, {
          targetFileBytes: env.layout.target_file_bytes,
          minFiles: env.layout.compact_min_files,
          rowGroupRows: env.layout.row_group_rows,
        });
        before += r.filesBefore; after += r.filesAfter; parts += r.partitions; folded += r.deletesFolded;
      }
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

export const buildPipeline: PipelineDefinition<BuildCtx> = {
  name: 'build',
  description: 'the warehouse: every SQL model as a step (incremental where it has a merge key), then compaction',
  plan(env) {
    const only = env.args.only as string[] | undefined;
    const models = discoverModels({ only });
    const steps: Step<BuildCtx>[] = models.map((m) => modelStep(m, env, 'build'));
    // compaction declares no tables: it runs once every model has finished
    steps.push(compactStep(env, async () => (await env.ws.lake.catalog.tables()).map((t) => t.table)));
    // models run as a dataflow (each after the models it reads), as many at once as the layout
    // says; `concurrency` (tests, measurements) overrides it
    const concurrency = Number(env.args.concurrency ?? env.layout.concurrent_steps);
    return { steps, ctx: { env }, concurrency, params: { models: models.length, tables: models.map((m) => m.table).join(','), concurrency } };
  },
};

export const compactPipeline: PipelineDefinition<BuildCtx> = {
  name: 'compact',
  description: 'lake maintenance: merge small files of every table toward the layout\'s target size',
  plan(env) {
    return { steps: [compactStep(env, async () => (await env.ws.lake.catalog.tables()).map((t) => t.table))], ctx: { env } };
  },
};
