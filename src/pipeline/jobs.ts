// Batch work on the bus: jobs queued on a JetStream work-queue stream and taken by any worker
// process (`tributary worker`), each result recorded in tracking. Two kinds:
//  - a hyper-parameter search becomes one `trial` job per combination; the trials are tracked
//    runs tagged with their search's id, which is how the results are gathered;
//  - a build of an SQL model by day (header `-- partition: day`) becomes one `day` job per day
//    its inputs hold, every job reading the inputs at the snapshots the build was queued at; each
//    day is written as its partition of the target table in one commit (replacing what it held:
//    a day built twice ends as built once) and recorded as a tracked run tagged with the build.
// So N workers on N machines share the work. A job is acknowledged only once its result is
// committed and its run recorded: a worker that dies mid-job leaves the job to be redelivered to
// another once the ack wait passes (a working worker keeps pushing that clock back).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import { decodeJson, encodeJson, ensureReplicatedStream, type Bus, type Subscription } from '../bus/types.ts';
import { openTracking } from '../tracking/index.ts';
import { Tracker } from '../tracking/tracker.ts';
import { buildModelDay, isDay, modelDays } from '../warehouse/partitions.ts';
import { openWorkspace, type Workspace } from '../warehouse/workspace.ts';
import { discoverModels } from './build.ts';
import { grid, trainTracked, type SearchSpace } from './train.ts';

/**
 * Where jobs are queued: the default queue, or a named one (JOBS_QUEUE / --queue: several teams or
 * test runs on one NATS), each its own stream and its own durable consumer shared by its workers.
 */
export interface JobQueue { stream: string; subject: string; durable: string }

export function jobQueue(name?: string): JobQueue {
  if (!name) return { stream: 'TRIBUTARY_JOBS', subject: 'tributary.jobs', durable: 'workers' };
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new Error(`queue: letters, digits, _ and - only (at most 64), got "${name}"`);
  // not under tributary.jobs: the default queue's stream takes tributary.jobs.>, and JetStream
  // refuses a second stream whose subjects overlap it
  return { stream: `TRIBUTARY_JOBS_${name.toUpperCase().replace(/-/g, '_')}`, subject: `tributary.queue.${name}`, durable: 'workers' };
}

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

export const DayJob = z.object({
  id: z.string(),
  kind: z.literal('day'),
  /** the build this day belongs to */
  build: z.string(),
  /** the SQL model (its table, e.g. curated.music_interactions_daily) */
  model: z.string().regex(/^[a-z_]+\.[a-z0-9_]+$/),
  /** the table the days are written to */
  into: z.string().regex(/^[a-z_]+\.[a-z0-9_]+$/),
  day: z.string().refine(isDay, 'a date YYYY-MM-DD'),
  /** the input snapshots every day of the build reads */
  snapshots: z.record(z.string(), z.number().int().nonnegative()),
});
export type DayJob = z.infer<typeof DayJob>;

const Job = z.discriminatedUnion('kind', [TrialJob, DayJob]);

export async function ensureJobsStream(bus: Bus, queue = jobQueue()): Promise<void> {
  await ensureReplicatedStream(bus, { name: queue.stream, subjects: [`${queue.subject}.>`], retention: 'workqueue' });
}

const newId = () => randomUUID().replaceAll('-', '').slice(0, 16);

/** Queues one trial per combination of the search space; resolves with the search's id. */
export async function submitSearch(
  bus: Bus,
  opts: { data: string; test?: string; train: z.infer<typeof TrainSpec>; search: SearchSpace; queue?: JobQueue },
): Promise<{ search: string; jobs: number }> {
  const queue = opts.queue ?? jobQueue();
  await ensureJobsStream(bus, queue);
  const search = newId();
  const combos = grid(opts.search);
  for (const params of combos) {
    const job: TrialJob = { id: randomUUID(), kind: 'trial', search, data: opts.data, test: opts.test, train: TrainSpec.parse({ ...opts.train, ...params }) };
    await bus.publish(`${queue.subject}.trial`, encodeJson(job), { msgId: job.id });
  }
  return { search, jobs: combos.length };
}

/** The default table a model's days are built into: the features zone, the model's name. */
export const dayBuildTarget = (model: string) => `features.${model.split('.')[1]}`;

/**
 * Queues a build of an SQL model by day: one job per day its inputs hold (or per day given),
 * all reading the inputs at their current snapshots. Resolves with the build's id.
 */
export async function submitDayBuild(bus: Bus, ws: Workspace, opts: { model: string; into?: string; days?: string[]; queue?: JobQueue }): Promise<{
  build: string;
  into: string;
  days: string[];
  snapshots: Record<string, number>;
}> {
  const queue = opts.queue ?? jobQueue();
  const [m] = discoverModels({ only: [opts.model] });
  const days = opts.days ?? await modelDays(ws.wh, m!);
  const into = opts.into ?? dayBuildTarget(m!.table);
  if (into === m!.table) throw new Error(`--into: the days go to their own table, not the model's (${m!.table}), which a whole build writes`);
  const snapshots = Object.fromEntries(m!.inputs.map((i) => [i, ws.wh.snapshots.get(i) ?? 0]));
  await ensureJobsStream(bus, queue);
  const build = newId();
  for (const day of days) {
    const job: DayJob = DayJob.parse({ id: `${build}-${day}`, kind: 'day', build, model: m!.table, into, day, snapshots });
    await bus.publish(`${queue.subject}.day`, encodeJson(job), { msgId: job.id });
  }
  return { build, into, days, snapshots };
}

export interface TrialResult {
  runId: string;
  status: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  worker?: string;
  tags: Record<string, string>;
}

async function taggedRuns(config: Pick<Config, 'home' | 'databaseUrl'>, pipeline: string, tag: string, id: string): Promise<TrialResult[]> {
  const t = await openTracking(config);
  try {
    const out: TrialResult[] = [];
    let pageToken: string | undefined;
    do {
      const page = await t.tracker.listRuns({ pipeline, filter: `tags.${tag} = '${id.replace(/[^A-Za-z0-9]/g, '')}'`, limit: 1000, pageToken });
      out.push(...page.runs.map((r) => ({ runId: r.id, status: r.status, params: r.params, metrics: r.metrics, worker: r.tags.worker, tags: r.tags })));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  } finally { await t.close(); }
}

/** The trials of a search recorded so far: one each (a job redelivered after its worker went silent has a run per attempt; the finished one counts). */
export async function searchResults(config: Pick<Config, 'home' | 'databaseUrl'>, search: string): Promise<TrialResult[]> {
  const byJob = new Map<string, TrialResult>();
  for (const r of await taggedRuns(config, 'trial', 'search', search)) {
    const key = r.tags.job ?? r.runId, seen = byJob.get(key);
    if (!seen || (seen.status !== 'finished' && r.status === 'finished')) byJob.set(key, r);
  }
  return [...byJob.values()];
}

/** The days of a build recorded so far (a day redone after a lost worker has a run per attempt). */
export function dayBuildResults(config: Pick<Config, 'home' | 'databaseUrl'>, build: string): Promise<TrialResult[]> {
  return taggedRuns(config, 'day-build', 'build', build);
}

export interface WorkerStats { done: number; failed: number; running: string | null }

/** Builds one day of a model as a tracked run (pipeline "day-build"). */
async function runDayJob(config: Config, job: DayJob, tags: Record<string, string>): Promise<{ runId: string; rows: number }> {
  const ws = await openWorkspace({ config, pins: Object.fromEntries(Object.entries(job.snapshots).filter(([, s]) => s > 0)) });
  try {
    const [m] = discoverModels({ only: [job.model] });
    const tracker = new Tracker(ws.store, { home: config.home });
    return await tracker.withRun({
      pipeline: 'day-build',
      step: job.model,
      params: { model: job.model, into: job.into, day: job.day },
      tags: { ...tags, build: job.build, day: job.day },
    }, async (run) => {
      const r = await run.stage('build', () => buildModelDay(ws.wh, m!, job.day, job.into));
      await run.logMetrics({ rows: r.rows, files: r.files, snapshot: r.snapshot });
      return { runId: run.id, rows: r.rows };
    });
  } finally { await ws.close(); }
}

/**
 * Takes jobs one at a time until stopped; each is a tracked run (pipeline "trial" or
 * "day-build"). `ackWaitMs` (JOBS_ACK_WAIT_S): how long a job taken by a worker that went
 * silent waits before another takes it (default 60 s; set when the queue's consumer is made).
 */
export async function startWorker(
  bus: Bus,
  config: Config,
  log: (m: string) => void = () => {},
  opts: { queue?: JobQueue; ackWaitMs?: number } = {},
): Promise<{ stats: WorkerStats; stop(): Promise<void> }> {
  const queue = opts.queue ?? jobQueue();
  const ackWaitMs = opts.ackWaitMs ?? 60_000;
  await ensureJobsStream(bus, queue);
  // the metadata database answers (and is migrated) before the first job is taken
  await (await openTracking(config)).close();
  const stats: WorkerStats = { done: 0, failed: 0, running: null };
  const worker = `${process.pid}`;
  const sub: Subscription = await bus.consume({ stream: queue.stream, durable: queue.durable, batch: 1, maxAckPending: 64, ackWaitMs }, async ([m]) => {
    const parsed = Job.safeParse(decodeJson(m!.data));
    if (!parsed.success) {
      stats.failed++;
      log(`worker: job ${m!.seq} is not a valid job (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}); dropped`);
      await m!.ack();
      return;
    }
    const job = parsed.data;
    stats.running = job.id;
    const tags = { job: job.id, worker, delivery: String(m!.deliveryCount) };
    // still working: the ack-wait clock starts again, so only a silent worker's job moves on
    const keepAlive = setInterval(() => m!.working(), Math.max(500, ackWaitMs / 3));
    const t0 = performance.now();
    try {
      if (job.kind === 'trial') {
        const r = await trainTracked(config, { train: job.train, data: job.data, test: job.test, pipeline: 'trial', tags: { ...tags, search: job.search } });
        log(`worker: trial ${job.id} of search ${job.search} finished (run ${r.runId})`);
      } else {
        log(`worker: building ${job.model} day ${job.day} into ${job.into} ` +
          `(build ${job.build}${m!.deliveryCount > 1 ? `, delivery ${m!.deliveryCount}` : ''})`);
        const r = await runDayJob(config, job, tags);
        log(`worker: ${job.model} day ${job.day}: ${r.rows} rows in ${((performance.now() - t0) / 1000).toFixed(2)} s (run ${r.runId})`);
      }
      stats.done++;
    } catch (e) {
      // a job that fails is a result too (its run records the error): not retried forever
      stats.failed++;
      log(`worker: ${job.kind} job ${job.id} failed: ${(e as Error).message}`);
    } finally {
      clearInterval(keepAlive);
      stats.running = null;
    }
    await m!.ack();
  });
  return { stats, stop: () => sub.stop() };
}
