// A small generic pipeline runner: named steps run in order over a shared context; each step's
// duration and row count are measured, a progress line is written per stage, and a summary
// table closes the run. Steps report rows by returning { rows } (or a number). A stage hook lets
// callers mirror stages elsewhere (e.g. experiment tracking) without the runner knowing of it.
// A group of steps (an array in the step list) runs concurrently: steps that only read what
// earlier steps produced can overlap (one waits on DuckDB or a worker thread while another
// computes); each is timed from the group's start to its own end and logged as it finishes.

export interface StepResult {
  /** rows the step produced (or read, for sources); shown in the progress line */
  rows?: number;
  /** one short human note for the progress line */
  note?: string;
}

export interface Step<C> {
  name: string;
  run(ctx: C): Promise<StepResult | number | void> | StepResult | number | void;
}

export interface StageRecord {
  name: string;
  seconds: number;
  rows: number | null;
  note: string | null;
  status: 'ok' | 'failed';
  error?: string;
}

export interface RunnerOptions {
  /** where progress lines go (default stderr, so --json output on stdout stays clean) */
  log?: (line: string) => void;
  /** wraps each stage, e.g. a tracking run's stage(); must call and return fn() */
  wrap?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

export interface PipelineResult {
  name: string;
  seconds: number;
  stages: StageRecord[];
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
  const flat = steps.flat();
  for (const s of flat) {
    if (names.has(s.name)) throw new Error(`pipeline ${name}: duplicate step name "${s.name}"`);
    names.add(s.name);
  }
  const stages: StageRecord[] = [];
  const t0 = performance.now();
  const width = String(flat.length).length;
  let done = 0;
  const runOne = async (step: Step<C>, ts: number): Promise<void> => {
    try {
      const exec = async () => normalise(await step.run(ctx));
      const r = opts.wrap ? await opts.wrap(step.name, exec) : await exec();
      const rec: StageRecord = { name: step.name, seconds: (performance.now() - ts) / 1000, rows: r.rows ?? null, note: r.note ?? null, status: 'ok' };
      stages.push(rec);
      log(`[${name} ${String(++done).padStart(width)}/${flat.length}] ${step.name.padEnd(14)} ${fmtSeconds(rec.seconds).padStart(8)}` +
        `${rec.rows !== null ? `  ${rec.rows.toLocaleString('en-US')} rows` : ''}${rec.note ? `  ${rec.note}` : ''}`);
    } catch (e) {
      const rec: StageRecord = { name: step.name, seconds: (performance.now() - ts) / 1000, rows: null, note: null, status: 'failed', error: (e as Error).message };
      stages.push(rec);
      log(`[${name} ${String(++done).padStart(width)}/${flat.length}] ${step.name.padEnd(14)} FAILED after ${fmtSeconds(rec.seconds)}: ${rec.error}`);
      throw new PipelineError(step.name, stages, e);
    }
  };
  for (const item of steps) {
    const ts = performance.now();
    if (!Array.isArray(item)) { await runOne(item, ts); continue; }
    // every step of the group runs to its end (no half-finished work left running), then the
    // first failure is raised
    const settled = await Promise.allSettled(item.map((s) => runOne(s, ts)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return { name, seconds: (performance.now() - t0) / 1000, stages };
}

function normalise(r: StepResult | number | void): StepResult {
  if (typeof r === 'number') return { rows: r };
  return r ?? {};
}

export function fmtSeconds(s: number): string {
  return s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`;
}

/** The closing summary: one line per stage with its share of the total time. */
export function formatSummary(r: PipelineResult): string {
  const w = Math.max(5, ...r.stages.map((s) => s.name.length));
  const lines = [`${'stage'.padEnd(w)}  ${'time'.padStart(9)}  ${'share'.padStart(5)}  rows`];
  for (const s of r.stages) {
    const share = r.seconds > 0 ? `${((100 * s.seconds) / r.seconds).toFixed(0)}%` : '';
    lines.push(`${s.name.padEnd(w)}  ${fmtSeconds(s.seconds).padStart(9)}  ${share.padStart(5)}  ${s.rows === null ? '' : s.rows.toLocaleString('en-US')}`);
  }
  lines.push(`${'total'.padEnd(w)}  ${fmtSeconds(r.seconds).padStart(9)}`);
  return lines.join('\n');
}
