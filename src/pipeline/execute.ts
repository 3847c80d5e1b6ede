// Runs a named pipeline as one tracked, leased, resumable run: takes the pipeline's lease (never
// two runs of one pipeline at once, across processes and machines sharing the metadata
// database), chooses the layout from the input volume, starts the tracked run, finds what a
// resumed run finished, runs the steps (src/pipeline/runner.ts) and records the outcome.

import type { ParamValue, Run } from '../tracking/tracker.ts';
import { Tracker } from '../tracking/tracker.ts';
import type { Workspace } from '../warehouse/workspace.ts';
import { holdThreads } from '../lake/duck.ts';
import { chooseLayout, type Layout } from './layout.ts';
import { runPipeline, type PipelineResult, type StepOrGroup } from './runner.ts';
import { leaseHolder, PipelineState, type StepRecord } from './state.ts';

export type RunMode = 'incremental' | 'full';

export interface PlanEnv {
  ws: Workspace;
  state: PipelineState;
  runId: string;
  /** the tracked run of the whole pipeline */
  run: Run;
  mode: RunMode;
  layout: Layout;
  /** the pipeline's own options (from the command line or the schedule's config) */
  args: Record<string, unknown>;
  log: (line: string) => void;
}

export interface Plan<C> {
  steps: StepOrGroup<C>[];
  ctx: C;
  /** run the steps as a dataflow, this many at a time (src/pipeline/runner.ts); default: in list order */
  concurrency?: number;
  /** more params for the tracked run */
  params?: Record<string, ParamValue>;
  /** runs after the steps, success or not (close workers...) */
  dispose?(): Promise<void> | void;
}

/** A named pipeline: how to lay out its steps for one run. */
export interface PipelineDefinition<C = any, R = unknown> {
  name: string;
  description: string;
  plan(env: PlanEnv): Promise<Plan<C>> | Plan<C>;
  /** what the run returns to its caller, from the context once every step has run */
  result?(ctx: C, env: PlanEnv): Promise<R> | R;
}

export interface ExecuteOptions {
  /** rebuild from scratch: forget the watermarks, recompute every output */
  full?: boolean;
  /** resume the newest unfinished run (true) or the given run id */
  resume?: boolean | string;
  args?: Record<string, unknown>;
  log?: (line: string) => void;
  /** lease time-to-live; the lease is renewed every third of it while the run lasts */
  leaseTtlMs?: number;
  holder?: string;
  /** extra tags of the tracked run (the scheduler's slot) */
  tags?: Record<string, string>;
  /** the tracked run's step (a training's task) */
  step?: string;
  /**
   * What the lease is taken on (default: the pipeline's name): a pipeline whose runs may overlap
   * when their arguments differ (two different trainings) names the argument-specific part here
   */
  leaseKey?: string;
  /** a hook between steps (tests inject crashes here) */
  beforeStep?: (name: string) => void | Promise<void>;
}

export interface ExecuteResult<R = unknown> {
  runId: string;
  pipeline: PipelineResult;
  mode: RunMode;
  layout: Layout;
  resumedFrom: string | null;
  result: R;
}

export class PipelineBusyError extends Error {
  override name = 'PipelineBusyError';
}

type Volume = { rows: number; bytes: number };

/**
 * What drives the layout: the raw zone's live rows and bytes (`volume`), and what the run will
 * read (`read`): the same for a full run or a pipeline that keeps no watermarks (its steps read
 * everything); for an incremental run, per raw table the rows committed since the earliest
 * snapshot any of the pipeline's steps consumed (bytes in proportion). A step that has never
 * run reads more than this says; the estimate only chooses threads, never what is read.
 */
async function layoutVolumes(ws: Workspace, state: PipelineState, pipeline: string, mode: RunMode): Promise<{ volume: Volume; read: Volume }> {
  const raw = (await ws.lake.catalog.tables()).filter((t) => t.zone === 'raw');
  const volume = raw.reduce((a, t) => ({ rows: a.rows + t.rows, bytes: a.bytes + t.bytes }), { rows: 0, bytes: 0 });
  const marks = mode === 'full' ? new Map<string, number>() : await state.lowestWatermarks(pipeline);
  if (!marks.size) return { volume, read: volume };
  const read = { rows: 0, bytes: 0 };
  for (const t of raw) {
    const added = await ws.lake.catalog.rowsAddedSince(t.table, marks.get(t.table) ?? 0);
    read.rows += added;
    read.bytes += t.rows > 0 ? (added * t.bytes) / t.rows : 0;
  }
  return { volume, read };
}

export async function executePipeline<C, R>(ws: Workspace, def: PipelineDefinition<C, R>, opts: ExecuteOptions = {}): Promise<ExecuteResult<R>> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const state = new PipelineState(ws.store);
  const holder = opts.holder ?? leaseHolder();
  const ttl = opts.leaseTtlMs ?? 60_000;
  const leaseKey = opts.leaseKey ?? def.name;
  const lease = await state.acquireLease(leaseKey, holder, ttl);
  if (!lease.ok) throw new PipelineBusyError(`pipeline ${leaseKey} is already running (lease held by ${lease.holder} until ${lease.expiresAt})`);
  let lost = false;
  const heartbeat = setInterval(() => {
    state.renewLease(leaseKey, holder, ttl).then((ok) => { if (!ok) lost = true; }, () => {});
  }, Math.max(1000, ttl / 3));
  heartbeat.unref();
  try {
    let resumedFrom: string | null = null;
    let reuse = new Map<string, StepRecord>();
    if (opts.resume) {
      const prev = typeof opts.resume === 'string' ? await state.getRun(opts.resume) : await state.lastUnfinished(def.name);
      if (typeof opts.resume === 'string' && (!prev || prev.pipeline !== def.name)) {
        throw new Error(`--resume ${opts.resume}: no run of pipeline ${def.name} has that id`);
      }
      if (prev?.status === 'finished') throw new Error(`--resume ${prev.runId}: that run finished; nothing to resume`);
      if (prev) {
        resumedFrom = prev.runId;
        reuse = await state.finishedSteps(prev.runId);
        // a killed run never recorded its end: it is failed now that its lease is ours
        if (prev.status === 'running') await state.endRun(prev.runId, 'failed', 'interrupted (resumed later)');
        log(`${def.name}: resuming run ${prev.runId} (${reuse.size} finished steps reused)`);
      } else log(`${def.name}: no unfinished run to resume; running from the start`);
    }
    const mode: RunMode = opts.full ? 'full' : 'incremental';
    if (opts.full && !resumedFrom) await state.clearWatermarks(def.name);
    const { volume, read } = await layoutVolumes(ws, state, def.name, mode);
    const layout = chooseLayout(volume, undefined, read);
    const tracker = new Tracker(ws.store, { home: ws.config.home });
    const run = await tracker.startRun({
      pipeline: def.name, step: opts.step,
      params: { mode, ...Object.fromEntries(Object.entries(layout).map(([k, v]) => [`layout_${k}`, v])), ...paramsOf(opts.args) },
      tags: { ...(resumedFrom ? { resumed_from: resumedFrom } : {}), lease_holder: holder, ...opts.tags },
    });
    await state.startRun({ runId: run.id, pipeline: def.name, mode, resumedFrom, layout: { ...layout } });
    const env: PlanEnv = { ws, state, runId: run.id, run, mode, layout, args: opts.args ?? {}, log };
    let plan: Plan<C> | undefined;
    const releaseThreads = await holdThreads(ws.wh.conn, ws.lake.duckdb, layout.threads);
    try {
      plan = await def.plan(env);
      if (plan.params) await run.logParams(plan.params);
      // a dataflow starts the steps heading the longest chain first, as long as the last run of its kind took them
      const estimates = plan.concurrency !== undefined ? await state.stepSeconds(def.name, mode) : undefined;
      if (estimates) await run.setTag('order_from', estimates.runId);
      const pipeline = await runPipeline(def.name, plan.steps, plan.ctx, {
        log, run, catalog: ws.lake.catalog, state: { store: state, runId: run.id, pipeline: def.name }, reuse, threads: layout.threads,
        concurrency: plan.concurrency, estimates: estimates?.seconds,
        beforeStep: async (name) => {
          if (lost) throw new Error(`pipeline ${def.name}: lease lost to another holder; stopping before ${name}`);
          await opts.beforeStep?.(name);
        },
      });
      const result = def.result ? await def.result(plan.ctx, env) : (undefined as R);
      if (pipeline.longestChain) {
        // what the run waited on, kept with it: a chain near the run's time bounds it whatever the cores
        await run.logMetrics({ longest_chain_seconds: pipeline.longestChain.seconds });
        await run.setTag('longest_chain', pipeline.longestChain.steps.join(' -> '));
      }
      await state.endRun(run.id, 'finished');
      if (!run.ended) await run.end('finished');
      return { runId: run.id, pipeline, mode, layout, resumedFrom, result };
    } catch (e) {
      await state.endRun(run.id, 'failed', (e as Error).message).catch(() => {});
      if (!run.ended) await run.end('failed', (e as Error).message).catch(() => {});
      throw e;
    } finally {
      await plan?.dispose?.();
      await releaseThreads();
    }
  } finally {
    clearInterval(heartbeat);
    await state.releaseLease(leaseKey, holder).catch(() => {});
  }
}

function paramsOf(args: Record<string, unknown> | undefined): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(args ?? {})) if (v !== undefined && typeof v !== 'function') out[`arg_${k.replace(/[^A-Za-z0-9_]/g, '_')}`] = v as ParamValue;
  return out;
}

