// The one pipeline runner. A pipeline is a list of named steps (an array in the list is a group
// whose steps run concurrently); each step declares the lake tables it reads (`inputs`) and
// writes (`outputs`). With `concurrency`, the list is a dataflow instead: a step starts as soon
// as the steps it depends on (by those declarations, stepDependencies) have finished, at most
// `concurrency` at a time. For every step the runner measures duration, rows in and out, files and
// partitions read and written (from the lake catalog: the inputs' snapshots as read, the
// outputs' snapshots before and after), threads and peak memory, writes a progress line, and —
// when the pipeline is tracked — records the step as a child run of the pipeline's run (params:
// inputs, outputs; metrics: the measurements) plus a stage of the parent. With a PipelineState
// it also records each finished step and the snapshots it committed, so a resumed run skips the
// steps a killed or failed run finished (only durable ones: steps whose whole effect is in their
// outputs; a step that hands values to later steps in memory runs again).
import type { Catalog } from '../lake/catalog.ts';
import type { Run } from '../tracking/tracker.ts';
import type { PipelineState, StepRecord } from './state.ts';

export interface StepResult {
  /** rows the step produced (or read, for sources); shown in the progress line */
  rows?: number;
  /** rows the step read (when it knows: an incremental step reads only what is new) */
  rowsIn?: number;
  /** files and partitions the step read, when it read fewer than its inputs' snapshots hold */
  filesRead?: number;
  partitionsRead?: number;
  /** worker threads the step used (default: the run's layout) */
  threads?: number;
  /** one short human note for the progress line */
  note?: string;
  /** more numbers for the step's child run */
  metrics?: Record<string, number>;
  /** watermarks to store once the step is recorded as finished: input table -> snapshot consumed */
  watermarks?: Record<string, number>;
}

export interface StepIO {
  /** the step's child run, when the pipeline is tracked */
  run?: Run;
  log: (line: string) => void;
}

export interface Step<C> {
  name: string;
  /** lake tables the step reads */
  inputs?: string[];
  /** lake tables the step writes */
  outputs?: string[];
  /**
   * The step's whole effect is its outputs (default: true when it declares outputs), so a
   * resumed run may skip it once finished. A step that leaves values in the context for later
   * steps is not durable: a resume runs it again.
   */
  durable?: boolean;
  run(ctx: C, io: StepIO): Promise<StepResult | number | void> | StepResult | number | void;
}

export interface StageRecord {
  name: string;
  seconds: number;
  rows: number | null;
  note: string | null;
  status: 'ok' | 'failed' | 'reused';
  error?: string;
  stats?: StepStats;
  /**
   * When the step started and ended, as positions in the run's one sequence of step starts and
   * ends (0, 1, 2...): two steps overlapped iff each started before the other ended.
   */
  span?: { start: number; end: number };
}

export interface StepStats {
  seconds: number;
  rows_in: number | null;
  rows_out: number | null;
  files_read: number;
  partitions_read: number;
  files_written: number;
  files_removed: number;
  partitions_written: number;
  threads: number;
  peak_rss_mb: number;
  /** the most steps running at once while this one ran (itself included) */
  steps_running: number;
}

export interface RunnerOptions {
  /** where progress lines go (default stderr, so --json output on stdout stays clean) */
  log?: (line: string) => void;
  /** the pipeline's tracked run: each step becomes a child run and a stage of it */
  run?: Run;
  /** the lake catalog, to count files and partitions read and written */
  catalog?: Catalog;
  /** records finished steps (for resume) and stores watermarks */
  state?: { store: PipelineState; runId: string; pipeline: string };
  /** steps finished by the run being resumed: durable ones are skipped */
  reuse?: Map<string, StepRecord>;
  /** threads the run's layout allows (recorded per step unless the step says otherwise) */
  threads?: number;
  /**
   * Called between steps with the step about to start: a test's hook (crash injection), or a
   * cancellation check that throws.
   */
  beforeStep?: (name: string) => void | Promise<void>;
  /**
   * Runs the steps as a dataflow, at most this many at a time: a step starts once every step it
   * depends on (stepDependencies) has finished (with `estimates`, criticalFirst; else the
   * earliest listed first). For pipelines whose steps declare every table they touch and hand
   * nothing to each other in memory (the warehouse build). Without it, steps run in list order,
   * a group's steps together.
   */
  concurrency?: number;
  /**
   * A dataflow's expected seconds per step (an earlier run's): when more steps are ready than
   * may start, those heading the longest expected chain of work start first (criticalFirst).
   * Without it, or for steps it lacks, list order decides.
   */
  estimates?: Map<string, number>;
}

export interface PipelineResult {
  name: string;
  seconds: number;
  stages: StageRecord[];
  /**
   * A dataflow run's longest chain of steps that had to follow one another (longestChain, on
   * the steps' times in this run): when it is near the run's time, the run waited on that chain;
   * well below, on the cores.
   */
  longestChain?: Chain;
}

export class PipelineError extends Error {
  override name = 'PipelineError';
  constructor(readonly stage: string, readonly stages: StageRecord[], cause: unknown) {
    super(`pipeline stage "${stage}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A step, or a group of steps run concurrently. */
export type StepOrGroup<C> = Step<C> | Step<C>[];

export async function runPipeline<C>(name: string, steps: StepOrGroup<C>[], ctx: C, opts: RunnerOptions = {}): Promise<PipelineResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const names = new Set<string>();
  const items = steps.map((s) => (Array.isArray(s) ? s : [s]));
  const flat = items.flat();
  for (const s of flat) {
    if (names.has(s.name)) throw new Error(`pipeline ${name}: duplicate step name "${s.name}"`);
    names.add(s.name);
  }
  const dataflow = opts.concurrency !== undefined;
  const deps = dataflow ? stepDependencies(flat) : sequenceDependencies(items);
  const limit = dataflow ? Math.max(1, Math.floor(opts.concurrency!)) : Infinity;
  const stages: StageRecord[] = [];
  const t0 = performance.now();
  const width = String(flat.length).length;
  let done = 0;
  const memory = new PeakMemory();
  const prefix = () => `[${name} ${String(++done).padStart(width)}/${flat.length}]`;
  // the run's sequence of step starts and ends, and the steps running now with the most steps
  // each has seen running at once
  let events = 0;
  const running = new Map<string, number>();

  const runOne = async (step: Step<C>): Promise<void> => {
    const ts = performance.now();
    const start = events++;
    running.set(step.name, 0);
    for (const [n, most] of running) running.set(n, Math.max(most, running.size));
    const span = () => ({ start, end: events++ });
    const reused = isDurable(step) ? opts.reuse?.get(step.name) : undefined;
    if (reused) {
      running.delete(step.name);
      stages.push({ name: step.name, seconds: 0, rows: null, note: 'finished by the resumed run', status: 'reused', span: span() });
      log(`${prefix()} ${step.name.padEnd(14)} reused (finished by the resumed ` +
        `run: ${Object.entries(reused.outputs).map(([t, s]) => `${t}@${s}`).join(', ') || 'no outputs'})`);
      return;
    }
    let child: Run | undefined;
    const startedAt = new Date().toISOString();
    try {
      child = opts.run ? await opts.run.startChild({ step: step.name, params: { inputs: step.inputs ?? [], outputs: step.outputs ?? [] } }) : undefined;
      const before = await snapshotsOf(opts.catalog, step.outputs);
      const mark = memory.mark();
      const r = normalise(await step.run(ctx, { run: child, log }));
      const seconds = (performance.now() - ts) / 1000;
      const written = await writtenSince(opts.catalog, step.outputs, before);
      // what the inputs hold, from the catalog, only when the step did not say what it read (an
      // incremental model step does: two catalog queries per input spared, ~60 in a 1% build).
      // Read after the step: the steps that write its inputs finished before it started.
      const said = r.rowsIn !== undefined && r.filesRead !== undefined && r.partitionsRead !== undefined;
      const inputs = said ? { files: 0, partitions: 0, rows: null } : await filesOf(opts.catalog, step.inputs);
      const stats: StepStats = {
        seconds,
        rows_in: r.rowsIn ?? inputs.rows,
        rows_out: r.rows ?? written.rows,
        files_read: r.filesRead ?? inputs.files,
        partitions_read: r.partitionsRead ?? inputs.partitions,
        files_written: written.files,
        files_removed: written.removed,
        partitions_written: written.partitions,
        threads: r.threads ?? opts.threads ?? 1,
        peak_rss_mb: memory.peak(mark),
        steps_running: running.get(step.name) ?? 1,
      };
      const rec: StageRecord = { name: step.name, seconds, rows: r.rows ?? null, note: r.note ?? null, status: 'ok', stats };
      if (child) {
        await child.logMetrics({ ...numeric(stats), ...r.metrics });
        await child.end('finished');
      }
      await opts.run?.recordStage(step.name, seconds * 1000, { startedAt });
      if (opts.state) {
        await opts.state.store.recordStep(opts.state.runId, {
          step: step.name,
          status: 'finished',
          childRunId: child?.id ?? null,
          outputs: written.snapshots,
          stats: { ...stats },
        });
        if (r.watermarks && Object.keys(r.watermarks).length) {
          await opts.state.store.setWatermarks(opts.state.pipeline, step.name, r.watermarks, opts.state.runId);
        }
      }
      running.delete(step.name);
      rec.span = span();
      stages.push(rec);
      log(`${prefix()} ${step.name.padEnd(14)} ${fmtSeconds(rec.seconds).padStart(8)}` +
        `${rec.rows !== null ? `  ${rec.rows.toLocaleString('en-US')} rows` : ''}${rec.note ? `  ${rec.note}` : ''}`);
    } catch (e) {
      running.delete(step.name);
      const seconds = (performance.now() - ts) / 1000;
      const rec: StageRecord = { name: step.name, seconds, rows: null, note: null, status: 'failed', error: (e as Error).message, span: span() };
      stages.push(rec);
      if (child && !child.ended) await child.end('failed', (e as Error).message).catch(() => {});
      await opts.run?.recordStage(step.name, seconds * 1000, { startedAt, status: 'failed' }).catch(() => {});
      if (opts.state) await opts.state.store.recordStep(opts.state.runId, {
        step: step.name,
        status: 'failed',
        childRunId: child?.id ?? null,
        outputs: {},
        stats: { seconds, error: (e as Error).message },
      }).catch(() => {});
      log(`${prefix()} ${step.name.padEnd(14)} FAILED after ${fmtSeconds(rec.seconds)}: ${rec.error}`);
      throw new PipelineError(step.name, stages, e);
    }
  };

  // Starts every step whose dependencies have finished, up to the limit, in `order` (a resumed
  // run's reused steps first, then those heading the longest expected chain, criticalFirst, else
  // list order), waits for any to end, and again. After a failure nothing more starts: the steps
  // running go on to their end (no half-finished work left running), then the first failure is
  // raised. A step that fails leaves its dependents waiting, so they never start.
  const state = flat.map(() => 'waiting' as 'waiting' | 'running' | 'done');
  const inFlight = new Map<number, Promise<void>>();
  let failure: { error: unknown } | undefined;
  const byPriority = dataflow && opts.estimates ? criticalFirst(flat.map((s) => s.name), deps, opts.estimates) : flat.map((_, i) => i);
  // steps a resumed run reuses cost nothing: they go first, so none waits behind a step that works
  const reusable = (i: number) => isDurable(flat[i]!) && !!opts.reuse?.has(flat[i]!.name);
  const order = [...byPriority.filter(reusable), ...byPriority.filter((i) => !reusable(i))];
  try {
    while (!failure) {
      for (let k = 0; k < order.length && inFlight.size < limit && !failure; k++) {
        const i = order[k]!;
        if (state[i] !== 'waiting' || !deps[i]!.every((d) => state[d] === 'done')) continue;
        try {
          await opts.beforeStep?.(flat[i]!.name);
        } catch (e) {
          failure ??= { error: e };
          break;
        }
        // a step that failed while the hook ran stops the launch
        if (failure) break;
        state[i] = 'running';
        inFlight.set(i, runOne(flat[i]!).then(
          () => { state[i] = 'done'; },
          (e: unknown) => { failure ??= { error: e }; },
        ).finally(() => inFlight.delete(i)));
      }
      if (!inFlight.size) break;
      await Promise.race(inFlight.values());
    }
    while (inFlight.size) await Promise.race(inFlight.values());
    if (failure) throw failure.error;
    const stuck = flat.filter((_, i) => state[i] !== 'done');
    if (stuck.length) throw new Error(`pipeline ${name}: steps never started: ${stuck.map((s) => s.name).join(', ')}`);
  } finally {
    memory.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (!dataflow) return { name, seconds, stages };
  const took = new Map(stages.map((s) => [s.name, s.seconds]));
  return { name, seconds, stages, longestChain: longestChain(flat.map((s) => s.name), flat.map((s) => took.get(s.name) ?? 0), deps) };
}

/** A chain of steps, each depending on the one before it, and their times added up. */
export interface Chain { steps: string[]; seconds: number }

/**
 * The chain of steps that must run one after another (`deps`: each step's dependencies, earlier
 * in the list, as stepDependencies gives them) whose times add up the most: the critical path.
 * However many cores, no schedule of the steps finishes sooner than its time.
 */
export function longestChain(names: string[], seconds: number[], deps: number[][]): Chain {
  if (!names.length) return { steps: [], seconds: 0 };
  // the longest chain ending at each step, and the step before it on that chain
  const end: number[] = [], via: number[] = [];
  names.forEach((_, i) => {
    const before = deps[i]!.reduce((b, j) => (b < 0 || end[j]! > end[b]! ? j : b), -1);
    end[i] = (before < 0 ? 0 : end[before]!) + seconds[i]!;
    via[i] = before;
  });
  const last = end.reduce((b, e, i) => (e > end[b]! ? i : b), 0);
  const steps: string[] = [];
  for (let i = last; i >= 0; i = via[i]!) steps.unshift(names[i]!);
  return { steps, seconds: end[last]! };
}

/**
 * The order in which a dataflow starts the steps that are ready: by the expected time of the
 * longest chain of work each one heads (its own estimate plus that of its longest chain of
 * dependents), longest first; list order among equals. List scheduling by this priority (HLFET)
 * keeps the critical path moving: in the warehouse build, list order started the commerce models
 * (listed first) while the music chain plays -> interactions_daily -> interactions ->
 * user_genres, the longest, waited behind them. A step without an estimate (a new model) counts
 * as the median of the others.
 */
export function criticalFirst(names: string[], deps: number[][], estimates: Map<string, number>): number[] {
  const known = names.map((n) => estimates.get(n)).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  const fallback = known.length ? known[Math.floor(known.length / 2)]! : 0;
  const dependents: number[][] = names.map(() => []);
  deps.forEach((ds, i) => { for (const d of ds) dependents[d]!.push(i); });
  // dependents come later in the list: filled from the end
  const level: number[] = new Array(names.length).fill(0);
  for (let i = names.length - 1; i >= 0; i--) {
    level[i] = (estimates.get(names[i]!) ?? fallback) + dependents[i]!.reduce((m, j) => Math.max(m, level[j]!), 0);
  }
  return names.map((_, i) => i).sort((a, b) => level[b]! - level[a]! || a - b);
}

/** List order: each step waits for every step of the item before it (a group's steps for none of each other). */
function sequenceDependencies<C>(items: Step<C>[][]): number[][] {
  const out: number[][] = [];
  let previous: number[] = [];
  for (const item of items) {
    if (!item.length) continue;
    const mine = item.map((_, k) => out.length + k);
    for (let k = 0; k < item.length; k++) out.push(previous);
    previous = mine;
  }
  return out;
}

/**
 * The dataflow's order, from what each step declares: a step waits for every earlier step that
 * writes a table it reads, that reads or writes a table it writes (a table is never replaced
 * under a reader nor written by two steps at once), and that declares no tables at all. A step
 * declaring none (compaction) may touch any table: it waits for every step before it, and every
 * step after it waits for it. Returns each step's dependencies, as positions in the list.
 */
export function stepDependencies(steps: Pick<Step<unknown>, 'inputs' | 'outputs'>[]): number[][] {
  const opaque = (s: Pick<Step<unknown>, 'inputs' | 'outputs'>) => !s.inputs?.length && !s.outputs?.length;
  return steps.map((s, i) => {
    const reads = new Set(s.inputs ?? []), writes = new Set(s.outputs ?? []);
    const out: number[] = [];
    for (let j = 0; j < i; j++) {
      const e = steps[j]!;
      const conflict = opaque(s) || opaque(e) ||
        (e.outputs ?? []).some((t) => reads.has(t) || writes.has(t)) ||
        (e.inputs ?? []).some((t) => writes.has(t));
      if (conflict) out.push(j);
    }
    return out;
  });
}

/** A step whose whole effect is its outputs: a resumed run may reuse it (Step.durable). */
function isDurable(step: Pick<Step<unknown>, 'durable' | 'outputs'>): boolean {
  return step.durable ?? (step.outputs?.length ?? 0) > 0;
}

function normalise(r: StepResult | number | void): StepResult {
  if (typeof r === 'number') return { rows: r };
  return r ?? {};
}

function numeric(s: StepStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(s)) if (typeof v === 'number') out[k] = v;
  return out;
}

/**
 * The process's peak resident memory while a step ran: sampled every 50 ms (and at the step's
 * end). Steps of a concurrent group share the process, so each sees the group's peak.
 */
class PeakMemory {
  private marks = new Map<number, number>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;

  mark(): number {
    const id = ++this.seq;
    this.marks.set(id, process.memoryUsage.rss());
    this.timer ??= setInterval(() => this.sample(), 50).unref();
    return id;
  }

  private sample(): void {
    const rss = process.memoryUsage.rss();
    for (const [id, peak] of this.marks) if (rss > peak) this.marks.set(id, rss);
  }

  /** MB at the peak since the mark; forgets the mark */
  peak(id: number): number {
    this.sample();
    const p = this.marks.get(id) ?? 0;
    this.marks.delete(id);
    return Math.round(p / 1e5) / 10;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

async function snapshotsOf(catalog: Catalog | undefined, tables: string[] | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!catalog) return out;
  for (const t of tables ?? []) out.set(t, await catalog.currentSnapshot(t));
  return out;
}

async function filesOf(catalog: Catalog | undefined, tables: string[] | undefined): Promise<{ files: number; partitions: number; rows: number | null }> {
  let files = 0, rows = 0, partitions = 0;
  if (!catalog || !tables?.length) return { files, partitions, rows: null };
  for (const t of tables) {
    const s = await catalog.liveFileStats(t);
    if (s) { files += s.files; rows += s.rows; partitions += s.partitions; }
  }
  return { files, partitions, rows };
}

async function writtenSince(catalog: Catalog | undefined, tables: string[] | undefined, before: Map<string, number>): Promise<{
  files: number;
  removed: number;
  partitions: number;
  rows: number | null;
  snapshots: Record<string, number>;
}> {
  const out = { files: 0, removed: 0, partitions: 0, rows: null as number | null, snapshots: {} as Record<string, number> };
  if (!catalog || !tables?.length) return out;
  let rows = 0;
  for (const t of tables) {
    const w = await catalog.writtenSince(t, before.get(t) ?? 0);
    out.snapshots[t] = w.snapshot;
    out.files += w.files; out.removed += w.removed; rows += w.rows;
    // partitions of the live files added since
    out.partitions += w.partitions.length;
  }
  out.rows = rows;
  return out;
}

export function fmtSeconds(s: number): string {
  return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`;
}

/**
 * The closing summary: one line per stage with its share of the time. Steps of a dataflow run
 * overlap, so there a share is of the steps' summed time (shares of the run's time would add up
 * to more than 100%), and the steps of its longest chain are starred.
 */
export function formatSummary(r: PipelineResult): string {
  const w = Math.max(5, ...r.stages.map((s) => s.name.length));
  const chain = r.longestChain;
  const onChain = new Set(chain && chain.steps.length > 1 ? chain.steps : []);
  const whole = chain ? r.stages.reduce((a, s) => a + s.seconds, 0) : r.seconds;
  const lines = [`${'stage'.padEnd(w)}  ${'time'.padStart(9)}  ${'share'.padStart(5)}  rows`];
  for (const s of r.stages) {
    const share = whole > 0 ? `${((100 * s.seconds) / whole).toFixed(0)}%` : '';
    const took = s.status === 'reused' ? 'reused' : fmtSeconds(s.seconds);
    const rows = s.rows === null ? '' : s.rows.toLocaleString('en-US');
    lines.push(`${s.name.padEnd(w)}  ${took.padStart(9)}  ${share.padStart(5)}  ${rows}${onChain.has(s.name) ? `${rows ? ' ' : ''}*` : ''}`);
  }
  lines.push(`${'total'.padEnd(w)}  ${fmtSeconds(r.seconds).padStart(9)}${chain ? `  (${fmtSeconds(whole)} of step time, overlapped)` : ''}`);
  if (onChain.size && r.seconds > 0) {
    lines.push(`* longest chain of dependent steps: ${chain!.steps.join(' -> ')}, ${fmtSeconds(chain!.seconds)} ` +
      `(${((100 * chain!.seconds) / r.seconds).toFixed(0)}% of the run)`);
  }
  return lines.join('\n');
}
