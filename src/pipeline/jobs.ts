// Batch work on the bus: jobs queued on a JetStream work-queue stream and taken by any worker
// process (`tributary worker`), each result recorded in tracking. A hyper-parameter search
// becomes one `trial` job per combination, so N workers on N machines share it; the trials are
// tracked runs tagged with their search's id, which is how the results are gathered. A job is
// acknowledged only once its run is recorded: a worker that dies mid-trial leaves the job to be
// redelivered to another.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { decodeJson, encodeJson, ensureReplicatedStream, type Bus, type Subscription } from '../bus/types.ts';
import { openTracking } from '../tracking/index.ts';
import { grid, trainTracked, type SearchSpace } from './train.ts';

export const JOBS_STREAM = 'TRIBUTARY_JOBS';
export const JOBS_SUBJECT = 'tributary.jobs';
export const WORKERS = 'workers';

const TrainSpec = z.object({
  task: z.enum(['regression', 'classification']),
  target: z.string().min(1),
  model: z.string().min(1),
  trees: z.number().int().positive().optional(),
  rounds: z.number().int().positive().optional(),
  depth: z.number().int().nonnegative().optional(),
  alpha: z.number().positive().optional(),
  learningRate: z.number().positive().optional(),
  seed: z.number().int().optional(),
  testSize: z.number().positive().max(0.9).optional(),
});

export const TrialJob = z.object({
  id: z.string(),
  kind: z.literal('trial'),
  /** the search this trial belongs to */
  search: z.string(),
  /** file path or lake:zone.table, as `tributary train --data` */
  data: z.string(),
  test: z.string().optional(),
  train: TrainSpec,
});
export type TrialJob = z.infer<typeof TrialJob>;

export async function ensureJobsStream(bus: Bus): Promise<void> {
  await ensureReplicatedStream(bus, { name: JOBS_STREAM, subjects: [`${JOBS_SUBJECT}.>`], retention: 'workqueue' });
}

/** Queues one trial per combination of the search space; resolves with the search's id. */
export async function submitSearch(bus: Bus, opts: { data: string; test?: string; train: z.infer<typeof TrainSpec>; search: SearchSpace }): Promise<{ search: string; jobs: number }> {
  await ensureJobsStream(bus);
  const search = randomUUID().replaceAll('-', '').slice(0, 16);
  const combos = grid(opts.search);
  for (const params of combos) {
    const job: TrialJob = { id: randomUUID(), kind: 'trial', search, data: opts.data, test: opts.test, train: TrainSpec.parse({ ...opts.train, ...params }) };
    await bus.publish(`${JOBS_SUBJECT}.trial`, encodeJson(job), { msgId: job.id });
  }
  return { search, jobs: combos.length };
}

export interface TrialResult { runId: string; status: string; params: Record<string, string>; metrics: Record<string, number>; worker?: string }

/** The trials of a search recorded so far. */
export async function searchResults(config: Pick<Config, 'home' | 'databaseUrl'>, search: string): Promise<TrialResult[]> {
  const t = await openTracking(config);
  try {
    const page = await t.tracker.listRuns({ pipeline: 'trial', filter: `tags.search = '${search.replace(/[^A-Za-z0-9]/g, '')}'`, limit: 1000 });
    return page.runs.map((r) => ({ runId: r.id, status: r.status, params: r.params, metrics: r.metrics, worker: r.tags.worker }));
  } finally { await t.close(); }
}

export interface WorkerStats { done: number; failed: number; running: string | null }

/** Takes jobs one at a time until stopped; each trial is a tracked run (pipeline "trial"). */
export async function startWorker(bus: Bus, config: Config, log: (m: string) => void = () => {}): Promise<{ stats: WorkerStats; stop(): Promise<void> }> {
  await ensureJobsStream(bus);
  // the metadata database answers (and is migrated) before the first job is taken
  await (await openTracking(config)).close();
  const stats: WorkerStats = { done: 0, failed: 0, running: null };
  const worker = `${process.pid}`;
  const sub: Subscription = await bus.consume({ stream: JOBS_STREAM, durable: WORKERS, batch: 1, maxAckPending: 64, ackWaitMs: 600_000 }, async ([m]) => {
    const parsed = TrialJob.safeParse(decodeJson(m!.data));
    if (!parsed.success) { stats.failed++; log(`worker: job ${m!.seq} is not a valid job (${parsed.error.issues[0]?.message}); dropped`); await m!.ack(); return; }
    const job = parsed.data;
    stats.running = job.id;
    const keepAlive = setInterval(() => m!.working(), 30_000);
    try {
      const r = await trainTracked(config, { train: job.train, data: job.data, test: job.test, pipeline: 'trial', tags: { search: job.search, job: job.id, worker } });
      stats.done++;
      log(`worker: trial ${job.id} of search ${job.search} finished (run ${r.runId})`);
    } catch (e) {
      // a trial that fails is a result too (the run records the error): not retried forever
      stats.failed++;
      log(`worker: trial ${job.id} failed: ${(e as Error).message}`);
    } finally {
      clearInterval(keepAlive);
      stats.running = null;
    }
    await m!.ack();
  });
  return { stats, stop: () => sub.stop() };
}
