// Experiment tracking: a run records what a pipeline step did (params, metric curves, stage
// durations, tags, artifacts, status) in the metadata database; trials of a hyper-parameter
// search are child runs of the search's run.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { sql } from '../metadata/kysely.ts';
import { nowIso, writeTransaction, type MetaStore } from '../metadata/db.ts';
import type { Database } from '../metadata/schema.ts';
import { TrackingError } from './errors.ts';
import { checkArtifactName, readInputFile, writeFileAtomic, type StoredFile } from './files.ts';
import { parseFilter, type FilterClause } from './filter.ts';
import { codeVersion } from './lineage.ts';

export type RunStatus = 'running' | 'finished' | 'failed';
export type ParamValue = string | number | boolean | null | readonly unknown[] | { [k: string]: unknown };

export interface StartRunOptions {
  pipeline: string;
  step?: string;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
  parentRunId?: string;
}

export interface MetricPoint {
  value: number;
  step: number;
  loggedAt: string;
}

export interface StageTiming {
  name: string;
  startedAt: string;
  durationMs: number;
  status: 'finished' | 'failed';
}

export interface ArtifactInfo extends StoredFile {
  name: string;
  createdAt: string;
}

export interface RunSummary {
  id: string;
  pipeline: string;
  step: string | null;
  status: RunStatus;
  parentRunId: string | null;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  codeVersion: string | null;
  error: string | null;
  params: Record<string, string>;
  /** last value of each metric */
  metrics: Record<string, number>;
  tags: Record<string, string>;
}

export interface RunDetail extends RunSummary {
  stages: StageTiming[];
  artifacts: ArtifactInfo[];
  childRunIds: string[];
}

export interface ListRunsOptions {
  pipeline?: string;
  step?: string;
  status?: RunStatus;
  /** a run id, or null for top-level runs only */
  parentRunId?: string | null;
  /** search expression, see filter.ts */
  filter?: string | FilterClause[];
  /** page size, 1..1000, default 50 */
  limit?: number;
  /** from the previous page's nextPageToken */
  pageToken?: string;
}

export interface RunPage {
  runs: RunSummary[];
  nextPageToken?: string;
}

const STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed'];
const KEY = /^[A-Za-z0-9_][\w.\-/ ]{0,249}$/;

function checkKey(what: string, key: string): void {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new TrackingError(`${what} name ${JSON.stringify(key)} must be 1..250 characters of letters, digits, "_", "-", ".", "/" or spaces`);
  }
}

function paramText(key: string, v: ParamValue): { value: string; num_value: number | null } {
  if (v === undefined) throw new TrackingError(`param "${key}" is undefined`);
  if (typeof v === 'number') return { value: String(v), num_value: Number.isFinite(v) ? v : null };
  if (typeof v === 'string') {
    const n = v.trim() === '' ? NaN : Number(v);
    return { value: v, num_value: Number.isFinite(n) ? n : null };
  }
  return { value: JSON.stringify(v), num_value: typeof v === 'boolean' ? Number(v) : null };
}

// SQLite stores NaN as NULL; both dialects read NULL back as NaN.
const toDb = (v: number): number | null => (Number.isNaN(v) ? null : v);
const fromDb = (v: number | string | null): number => (v === null ? NaN : Number(v));

export class Tracker {
  readonly store: MetaStore;
  readonly home: string;

  constructor(store: MetaStore, opts: { home: string }) {
    this.store = store;
    this.home = opts.home;
  }

  async startRun(opts: StartRunOptions): Promise<Run> {
    if (!opts || typeof opts.pipeline !== 'string' || opts.pipeline.trim() === '') {
      throw new TrackingError('startRun: pipeline must be a non-empty string');
    }
    if (opts.step !== undefined && (typeof opts.step !== 'string' || opts.step === '')) {
      throw new TrackingError('startRun: step must be a non-empty string when given');
    }
    const { db } = this.store;
    if (opts.parentRunId !== undefined) {
      const parent = await db.selectFrom('tracking_runs').select('id').where('id', '=', opts.parentRunId).executeTakeFirst();
      if (!parent) throw new TrackingError(`startRun: parentRunId ${opts.parentRunId} is not a known run`);
    }
    const id = randomUUID().replace(/-/g, '');
    const startedAt = nowIso();
    const params = opts.params ?? {};
    const tags = opts.tags ?? {};
    for (const k of Object.keys(params)) checkKey('param', k);
    for (const [k, v] of Object.entries(tags)) {
      checkKey('tag', k);
      if (typeof v !== 'string') throw new TrackingError(`tag "${k}" must be a string, got ${JSON.stringify(v)}`);
    }
    await writeTransaction(this.store, async (trx) => {
      await trx.insertInto('tracking_runs').values({
        id, pipeline: opts.pipeline, step: opts.step ?? null, status: 'running', parent_run_id: opts.parentRunId ?? null,
        started_at: startedAt, ended_at: null, duration_ms: null, code_version: codeVersion(), error: null,
      }).execute();
      const p = Object.entries(params).map(([key, v]) => ({ run_id: id, key, ...paramText(key, v) }));
      if (p.length) await trx.insertInto('tracking_params').values(p).execute();
      const t = Object.entries(tags).map(([key, value]) => ({ run_id: id, key, value }));
      if (t.length) await trx.insertInto('tracking_tags').values(t).execute();
    });
    return new Run(this, id, opts.pipeline, opts.step ?? null, opts.parentRunId ?? null, startedAt, performance.now());
  }

  /**
   * Runs fn inside a run: the run ends 'finished' when fn returns and 'failed' (with the
   * error message) when it throws; the error is rethrown.
   */
  async withRun<T>(opts: StartRunOptions, fn: (run: Run) => Promise<T> | T): Promise<T> {
    const run = await this.startRun(opts);
    let out: T;
    try {
      out = await fn(run);
    } catch (e) {
      if (!run.ended) await run.end('failed', e instanceof Error ? e.message : String(e));
      throw e;
    }
    if (!run.ended) await run.end('finished');
    return out;
  }

  async getRun(id: string): Promise<RunDetail> {
    const { db } = this.store;
    const row = await db.selectFrom('tracking_runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new TrackingError(`no run with id ${JSON.stringify(id)}`);
    const [summary] = await this.summarize([row]);
    const stages = await db.selectFrom('tracking_stages').selectAll().where('run_id', '=', id).orderBy('seq').execute();
    const artifacts = await db.selectFrom('tracking_artifacts').selectAll().where('run_id', '=', id).orderBy('name').execute();
    const children = await db.selectFrom('tracking_runs').select('id').where('parent_run_id', '=', id).orderBy('started_at').orderBy('id').execute();
    return {
      ...summary!,
      stages: stages.map((s) => ({ name: s.name, startedAt: s.started_at, durationMs: Number(s.duration_ms), status: s.status as StageTiming['status'] })),
      artifacts: artifacts.map((a) => ({ name: a.name, path: a.path, sha256: a.sha256, size: Number(a.size), createdAt: a.created_at })),
      childRunIds: children.map((c) => c.id),
    };
  }

  /** Every logged point of one metric of a run, by step: a learning curve. */
  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const rows = await this.store.db.selectFrom('tracking_metrics').select(['value', 'step', 'logged_at'])
      .where('run_id', '=', runId).where('key', '=', key).orderBy('step').orderBy('id').execute();
    return rows.map((r) => ({ value: fromDb(r.value), step: r.step, loggedAt: r.logged_at }));
  }

  /** Every logged point of every metric of some runs (run comparison's curves), by run, key, step. */
  async metricHistories(runIds: string[]): Promise<{ runId: string; key: string; step: number; value: number }[]> {
    if (runIds.length === 0) return [];
    const rows = await this.store.db.selectFrom('tracking_metrics').select(['run_id', 'key', 'value', 'step'])
      .where('run_id', 'in', runIds).orderBy('run_id').orderBy('key').orderBy('step').orderBy('id').execute();
    return rows.map((r) => ({ runId: r.run_id, key: r.key, step: r.step, value: fromDb(r.value) }));
  }

  /** Newest runs first, one page at a time; filters narrow by attributes, params, metrics and tags. */
  async listRuns(opts: ListRunsOptions = {}): Promise<RunPage> {
    const limit = opts.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new TrackingError(`listRuns: limit must be an integer in 1..1000, got ${limit}`);
    if (opts.status !== undefined && !STATUSES.includes(opts.status)) {
      throw new TrackingError(`listRuns: status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(opts.status)}`);
    }
    const clauses = typeof opts.filter === 'string' ? parseFilter(opts.filter) : opts.filter ?? [];
    let q = this.store.db.selectFrom('tracking_runs').selectAll();
    if (opts.pipeline !== undefined) q = q.where('pipeline', '=', opts.pipeline);
    if (opts.step !== undefined) q = q.where('step', '=', opts.step);
    if (opts.status !== undefined) q = q.where('status', '=', opts.status);
    if (opts.parentRunId === null) q = q.where('parent_run_id', 'is', null);
    else if (opts.parentRunId !== undefined) q = q.where('parent_run_id', '=', opts.parentRunId);
    for (const c of clauses) q = q.where((eb) => clauseExpr(eb, c));
    if (opts.pageToken) {
      const [at, id] = decodePageToken(opts.pageToken);
      q = q.where((eb) => eb.or([eb('started_at', '<', at), eb.and([eb('started_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      runs: await this.summarize(page),
      nextPageToken: more && last ? Buffer.from(JSON.stringify([last.started_at, last.id])).toString('base64url') : undefined,
    };
  }

  /** Runs side by side: the union of their param and metric names, each run's values. */
  async compareRuns(ids: string[]): Promise<{ runs: RunSummary[]; paramKeys: string[]; metricKeys: string[] }> {
    if (ids.length === 0) throw new TrackingError('compareRuns: give at least one run id');
    const rows = await this.store.db.selectFrom('tracking_runs').selectAll().where('id', 'in', ids).execute();
    const missing = ids.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length) throw new TrackingError(`compareRuns: unknown run id(s): ${missing.join(', ')}`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const runs = await this.summarize(ids.map((id) => byId.get(id)!));
    const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
    const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
    return { runs, paramKeys, metricKeys };
  }

  /** Adds params, last metric values and tags to run rows with three queries per page. */
  private async summarize(rows: Database['tracking_runs'][]): Promise<RunSummary[]> {
    if (rows.length === 0) return [];
    const { db } = this.store;
    const ids = rows.map((r) => r.id);
    const [params, metrics, tags] = await Promise.all([
      db.selectFrom('tracking_params').select(['run_id', 'key', 'value']).where('run_id', 'in', ids).execute(),
      db.selectFrom('tracking_latest_metrics').select(['run_id', 'key', 'value']).where('run_id', 'in', ids).execute(),
      db.selectFrom('tracking_tags').select(['run_id', 'key', 'value']).where('run_id', 'in', ids).execute(),
    ]);
    const group = <V>(list: { run_id: string; key: string }[], val: (r: any) => V) => {
      const m = new Map<string, Record<string, V>>();
      for (const r of list) {
        let o = m.get(r.run_id);
        if (!o) m.set(r.run_id, (o = {}));
        o[r.key] = val(r);
      }
      return m;
    };
    const p = group(params, (r) => r.value as string);
    const mt = group(metrics, (r) => fromDb(r.value));
    const t = group(tags, (r) => r.value as string);
    return rows.map((r) => ({
      id: r.id, pipeline: r.pipeline, step: r.step, status: r.status as RunStatus, parentRunId: r.parent_run_id,
      startedAt: r.started_at, endedAt: r.ended_at, durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      codeVersion: r.code_version, error: r.error,
      params: sortKeys(p.get(r.id) ?? {}), metrics: sortKeys(mt.get(r.id) ?? {}), tags: sortKeys(t.get(r.id) ?? {}),
    }));
  }
}

function sortKeys<V>(o: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]!]));
}

function decodePageToken(token: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return v as [string, string];
  } catch { /* reported below */ }
  throw new TrackingError('listRuns: pageToken is not one this registry gave out');
}

function clauseExpr(eb: ExpressionBuilder<Database, 'tracking_runs'>, c: FilterClause): Expression<SqlBool> {
  const op = c.op === '!=' ? '<>' : c.op;
  switch (c.subject) {
    case 'attribute':
      return eb(sql.ref(`tracking_runs.${c.key}`), op, c.value);
    case 'metric':
      return eb.exists(
        eb.selectFrom('tracking_latest_metrics as m').select(sql.lit(1).as('one'))
          .whereRef('m.run_id', '=', 'tracking_runs.id').where('m.key', '=', c.key).where('m.value', op, c.value as number),
      );
    case 'param':
      return eb.exists(
        eb.selectFrom('tracking_params as p').select(sql.lit(1).as('one'))
          .whereRef('p.run_id', '=', 'tracking_runs.id').where('p.key', '=', c.key)
          .where(typeof c.value === 'number' ? 'p.num_value' : 'p.value', op, c.value),
      );
    case 'tag':
      return eb.exists(
        eb.selectFrom('tracking_tags as t').select(sql.lit(1).as('one'))
          .whereRef('t.run_id', '=', 'tracking_runs.id').where('t.key', '=', c.key).where('t.value', op, String(c.value)),
      );
  }
}

/** One run, as handed to the code it tracks. */
export class Run {
  private stageSeq = 0;
  private nextStep = new Map<string, number>();
  private endedFlag = false;

  constructor(
    readonly tracker: Tracker,
    readonly id: string,
    readonly pipeline: string,
    readonly step: string | null,
    readonly parentRunId: string | null,
    readonly startedAt: string,
    private readonly startedPerf: number,
  ) {}

  get ended(): boolean {
    return this.endedFlag;
  }

  private get db() {
    return this.tracker.store.db;
  }

  private open(what: string): void {
    if (this.endedFlag) throw new TrackingError(`run ${this.id} has ended; cannot ${what}`);
  }

  /** Params are inputs: logging a name again with a different value is an error. */
  async logParams(params: Record<string, ParamValue>): Promise<void> {
    this.open('log params');
    const entries = Object.entries(params);
    for (const [k] of entries) checkKey('param', k);
    if (entries.length === 0) return;
    const rows = entries.map(([key, v]) => ({ run_id: this.id, key, ...paramText(key, v) }));
    await writeTransaction(this.tracker.store, async (trx) => {
      const existing = await trx.selectFrom('tracking_params').select(['key', 'value'])
        .where('run_id', '=', this.id).where('key', 'in', rows.map((r) => r.key)).execute();
      const have = new Map(existing.map((e) => [e.key, e.value]));
      const fresh = rows.filter((r) => {
        const old = have.get(r.key);
        if (old !== undefined && old !== r.value) {
          throw new TrackingError(`run ${this.id}: param "${r.key}" is already ${old}; cannot change it to ${r.value}`);
        }
        return old === undefined;
      });
      if (fresh.length) await trx.insertInto('tracking_params').values(fresh).execute();
    });
  }

  logParam(key: string, value: ParamValue): Promise<void> {
    return this.logParams({ [key]: value });
  }

  /** Appends a point to a metric's curve; step defaults to one past this run's last step for it. */
  async logMetric(key: string, value: number, step?: number): Promise<void> {
    await this.logMetrics({ [key]: value }, step);
  }

  async logMetrics(metrics: Record<string, number>, step?: number): Promise<void> {
    this.open('log metrics');
    if (step !== undefined && !Number.isSafeInteger(step)) throw new TrackingError(`metric step must be an integer, got ${step}`);
    const at = nowIso();
    const rows = Object.entries(metrics).map(([key, value]) => {
      checkKey('metric', key);
      if (typeof value !== 'number') throw new TrackingError(`metric "${key}" must be a number, got ${JSON.stringify(value)}`);
      const s = step ?? this.nextStep.get(key) ?? 0;
      this.nextStep.set(key, Math.max(s + 1, this.nextStep.get(key) ?? 0));
      return { run_id: this.id, key, value: toDb(value), step: s, logged_at: at };
    });
    if (rows.length === 0) return;
    await writeTransaction(this.tracker.store, async (trx) => {
      await trx.insertInto('tracking_metrics').values(rows).execute();
      // the latest value is the one with the highest step (ties: the last logged)
      await trx.insertInto('tracking_latest_metrics').values(rows)
        .onConflict((oc) => oc.columns(['run_id', 'key'])
          .doUpdateSet({
            value: (eb) => eb.ref('excluded.value'),
            step: (eb) => eb.ref('excluded.step'),
            logged_at: (eb) => eb.ref('excluded.logged_at'),
          })
          .where(sql<SqlBool>`tracking_latest_metrics.step <= excluded.step`))
        .execute();
    });
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    const rows = Object.entries(tags).map(([key, value]) => {
      checkKey('tag', key);
      if (typeof value !== 'string') throw new TrackingError(`tag "${key}" must be a string, got ${JSON.stringify(value)}`);
      return { run_id: this.id, key, value };
    });
    if (rows.length === 0) return;
    await this.db.insertInto('tracking_tags').values(rows)
      .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }))
      .execute();
  }

  setTag(key: string, value: string): Promise<void> {
    return this.setTags({ [key]: value });
  }

  /** Times fn as a named stage of this run; a throwing stage is recorded as failed and rethrown. */
  async stage<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    this.open(`start stage "${name}"`);
    checkKey('stage', name);
    const seq = ++this.stageSeq;
    const startedAt = nowIso();
    const t0 = performance.now();
    let status: StageTiming['status'] = 'finished';
    try {
      return await fn();
    } catch (e) {
      status = 'failed';
      throw e;
    } finally {
      await this.db.insertInto('tracking_stages').values({
        run_id: this.id, seq, name, started_at: startedAt, duration_ms: performance.now() - t0, status,
      }).execute();
    }
  }

  /**
   * Records a stage that was timed elsewhere (synchronous library code that reports its own
   * durations, e.g. a fit time); stage() is the usual way.
   */
  async recordStage(name: string, durationMs: number, opts: { startedAt?: string; status?: StageTiming['status'] } = {}): Promise<void> {
    this.open(`record stage "${name}"`);
    checkKey('stage', name);
    if (!Number.isFinite(durationMs) || durationMs < 0) throw new TrackingError(`stage "${name}": durationMs must be a finite number >= 0, got ${durationMs}`);
    const status = opts.status ?? 'finished';
    if (status !== 'finished' && status !== 'failed') {
      throw new TrackingError(`stage "${name}": status must be finished or failed, got ${JSON.stringify(status)}`);
    }
    await this.db.insertInto('tracking_stages').values({
      run_id: this.id, seq: ++this.stageSeq, name, started_at: opts.startedAt ?? nowIso(), duration_ms: durationMs, status,
    }).execute();
  }

  /**
   * Copies bytes (or the file at a path) to <home>/artifacts/<run id>/<name> and records its
   * sha256 and size. Logging the same name again replaces it.
   */
  async logArtifact(name: string, content: Uint8Array | string): Promise<ArtifactInfo> {
    this.open(`log artifact "${name}"`);
    const rel = checkArtifactName(name);
    const bytes = typeof content === 'string' ? readInputFile(content, `artifact "${name}"`) : content;
    const stored = writeFileAtomic(this.tracker.home, join('artifacts', this.id, rel), bytes);
    const createdAt = nowIso();
    await this.db.insertInto('tracking_artifacts')
      .values({ run_id: this.id, name, path: stored.path, sha256: stored.sha256, size: stored.size, created_at: createdAt })
      .onConflict((oc) => oc.columns(['run_id', 'name']).doUpdateSet({
        path: stored.path, sha256: stored.sha256, size: stored.size, created_at: createdAt,
      }))
      .execute();
    return { name, ...stored, createdAt };
  }

  /** A nested run (a trial of a search), child of this one. */
  startChild(opts: Omit<StartRunOptions, 'parentRunId' | 'pipeline'> & { pipeline?: string } = {}): Promise<Run> {
    return this.tracker.startRun({ ...opts, pipeline: opts.pipeline ?? this.pipeline, parentRunId: this.id });
  }

  async end(status: Exclude<RunStatus, 'running'> = 'finished', error?: string): Promise<void> {
    if (status !== 'finished' && status !== 'failed') throw new TrackingError(`run.end: status must be finished or failed, got ${JSON.stringify(status)}`);
    this.open(`end it again (${status})`);
    this.endedFlag = true;
    await this.db.updateTable('tracking_runs')
      .set({ status, ended_at: nowIso(), duration_ms: performance.now() - this.startedPerf, error: error ?? null })
      .where('id', '=', this.id).execute();
  }
}
