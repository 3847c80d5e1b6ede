// The jobs layer's records in the metadata database (migration 004_pipelines): pipeline runs and
// their finished steps (what --resume reuses), watermarks (what an incremental step has consumed
// of each input), leases (one run of a pipeline at a time, across processes and machines) and
// the scheduler's claims of due slots (a slot is claimed once, whoever asks).
import { hostname } from 'node:os';
import type { Selectable } from 'kysely';
import { nowIso, writeTransaction, type MetaStore } from '../metadata/db.ts';
import type { Database } from '../metadata/schema.ts';

export type StepStatus = 'finished' | 'failed';

export interface StepRecord {
  step: string;
  status: StepStatus;
  childRunId: string | null;
  /** lake snapshots the step committed: { 'curated.plays': 7 } */
  outputs: Record<string, number>;
  stats: Record<string, unknown>;
}

export interface PipelineRunInfo {
  runId: string;
  pipeline: string;
  status: string;
  mode: string;
  resumedFrom: string | null;
  startedAt: string;
  endedAt: string | null;
  layout: Record<string, unknown>;
  error: string | null;
}

/** Who holds a lease: host, process and a random tag (one process may run several holders). */
export function leaseHolder(tag = Math.random().toString(36).slice(2, 8)): string {
  return `${hostname()}:${process.pid}:${tag}`;
}

/** A holder on this host whose process is gone can never renew: its lease is stale now. */
function deadLocalHolder(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class PipelineState {
  constructor(readonly store: MetaStore) {}

  // ---- runs and steps ----

  async startRun(r: { runId: string; pipeline: string; mode: string; resumedFrom?: string | null; layout: Record<string, unknown> }): Promise<void> {
    await this.store.db.insertInto('pipeline_runs').values({
      run_id: r.runId, pipeline: r.pipeline, status: 'running', mode: r.mode, resumed_from: r.resumedFrom ?? null,
      started_at: nowIso(), ended_at: null, layout: JSON.stringify(r.layout), error: null,
    }).execute();
  }

  async endRun(runId: string, status: 'finished' | 'failed', error?: string): Promise<void> {
    await this.store.db.updateTable('pipeline_runs').set({ status, ended_at: nowIso(), error: error ?? null }).where('run_id', '=', runId).execute();
  }

  async getRun(runId: string): Promise<PipelineRunInfo | undefined> {
    const r = await this.store.db.selectFrom('pipeline_runs').selectAll().where('run_id', '=', runId).executeTakeFirst();
    return r && runInfo(r);
  }

  async runs(pipeline: string, limit = 20): Promise<PipelineRunInfo[]> {
    const rows = await this.store.db.selectFrom('pipeline_runs').selectAll().where('pipeline', '=', pipeline)
      .orderBy('started_at', 'desc').orderBy('run_id', 'desc').limit(limit).execute();
    return rows.map(runInfo);
  }

  /** The newest run of a pipeline that did not finish (failed, or killed while 'running'). */
  async lastUnfinished(pipeline: string): Promise<PipelineRunInfo | undefined> {
    const [last] = await this.runs(pipeline, 1);
    return last && last.status !== 'finished' ? last : undefined;
  }

  async recordStep(runId: string, rec: StepRecord): Promise<void> {
    const values = {
      status: rec.status, child_run_id: rec.childRunId, outputs: JSON.stringify(rec.outputs), stats: JSON.stringify(rec.stats), ended_at: nowIso(),
    };
    await this.store.db.insertInto('pipeline_steps').values({ run_id: runId, step: rec.step, ...values })
      .onConflict((oc) => oc.columns(['run_id', 'step']).doUpdateSet(values)).execute();
  }

  /**
   * The finished steps of a run, following its chain of resumed runs back (a run resumed twice
   * reuses what any link of the chain finished).
   */
  async finishedSteps(runId: string): Promise<Map<string, StepRecord>> {
    const out = new Map<string, StepRecord>();
    let id: string | null = runId;
    for (let hops = 0; id && hops < 100; hops++) {
      const rows = await this.store.db.selectFrom('pipeline_steps').selectAll().where('run_id', '=', id).where('status', '=', 'finished').execute();
      for (const r of rows) {
        if (!out.has(r.step)) out.set(r.step, {
          step: r.step,
          status: 'finished',
          childRunId: r.child_run_id,
          outputs: JSON.parse(r.outputs),
          stats: JSON.parse(r.stats),
        });
      }
      id = (await this.getRun(id))?.resumedFrom ?? null;
    }
    return out;
  }

  async steps(runId: string): Promise<StepRecord[]> {
    const rows = await this.store.db.selectFrom('pipeline_steps').selectAll().where('run_id', '=', runId).orderBy('ended_at').execute();
    return rows.map((r) => ({
      step: r.step,
      status: r.status as StepStatus,
      childRunId: r.child_run_id,
      outputs: JSON.parse(r.outputs),
      stats: JSON.parse(r.stats),
    }));
  }

  /**
   * Each step's seconds in the newest finished run of a pipeline in a mode ('incremental',
   * 'full'): what the next run of that kind may expect (the runner's critical-path-first order).
   */
  async stepSeconds(pipeline: string, mode: string): Promise<{ runId: string; seconds: Map<string, number> } | undefined> {
    const last = await this.store.db.selectFrom('pipeline_runs').select('run_id').where('pipeline', '=', pipeline)
      .where('mode', '=', mode).where('status', '=', 'finished').orderBy('started_at', 'desc').orderBy('run_id', 'desc').limit(1).executeTakeFirst();
    if (!last) return undefined;
    const seconds = new Map<string, number>();
    for (const s of await this.steps(last.run_id)) {
      if (s.status === 'finished' && typeof s.stats.seconds === 'number') seconds.set(s.step, s.stats.seconds);
    }
    return { runId: last.run_id, seconds };
  }

  // ---- watermarks ----

  async watermarks(pipeline: string, step: string): Promise<Map<string, number>> {
    const rows = await this.store.db.selectFrom('pipeline_watermarks').select(['input', 'snapshot'])
      .where('pipeline', '=', pipeline).where('step', '=', step).execute();
    return new Map(rows.map((r) => [r.input, Number(r.snapshot)]));
  }

  /** Per input, the earliest snapshot any step of the pipeline has consumed (what its next run reads from). */
  async lowestWatermarks(pipeline: string): Promise<Map<string, number>> {
    const rows = await this.store.db.selectFrom('pipeline_watermarks')
      .select((eb) => ['input', eb.fn.min<number>('snapshot').as('snapshot')])
      .where('pipeline', '=', pipeline).groupBy('input').execute();
    return new Map(rows.map((r) => [r.input, Number(r.snapshot)]));
  }

  async setWatermarks(pipeline: string, step: string, marks: Record<string, number>, runId: string): Promise<void> {
    const at = nowIso();
    await writeTransaction(this.store, async (trx) => {
      for (const [input, snapshot] of Object.entries(marks)) {
        await trx.insertInto('pipeline_watermarks').values({ pipeline, step, input, snapshot, run_id: runId, updated_at: at })
          .onConflict((oc) => oc.columns(['pipeline', 'step', 'input']).doUpdateSet({ snapshot, run_id: runId, updated_at: at })).execute();
      }
    });
  }

  /** Forgets a pipeline's watermarks: its next run reads everything (what --full does). */
  async clearWatermarks(pipeline: string): Promise<void> {
    await this.store.db.deleteFrom('pipeline_watermarks').where('pipeline', '=', pipeline).execute();
  }

  // ---- leases ----

  /**
   * Takes the pipeline's lease for `ttlMs` if it is free, expired, held by a dead process of this
   * host, or already ours. The conditional UPDATE is atomic per row in both dialects, so of two
   * takers at once exactly one gets it.
   */
  async acquireLease(pipeline: string, holder: string, ttlMs: number): Promise<{ ok: true } | { ok: false; holder: string; expiresAt: string }> {
    const now = new Date();
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    const db = this.store.db;
    await db.insertInto('pipeline_leases').values({ pipeline, holder, acquired_at: now.toISOString(), expires_at: expires })
      .onConflict((oc) => oc.column('pipeline').doNothing()).execute();
    const current = await db.selectFrom('pipeline_leases').selectAll().where('pipeline', '=', pipeline).executeTakeFirst();
    if (current && current.holder !== holder && current.expires_at >= now.toISOString() && deadLocalHolder(current.holder)) {
      // take over a dead local holder's lease: only if it is still that holder's
      await db.updateTable('pipeline_leases').set({ holder, acquired_at: now.toISOString(), expires_at: expires })
        .where('pipeline', '=', pipeline).where('holder', '=', current.holder).execute();
    } else {
      await db.updateTable('pipeline_leases').set({ holder, acquired_at: now.toISOString(), expires_at: expires })
        .where('pipeline', '=', pipeline)
        .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now.toISOString())])).execute();
    }
    const after = await db.selectFrom('pipeline_leases').selectAll().where('pipeline', '=', pipeline).executeTakeFirstOrThrow();
    return after.holder === holder ? { ok: true } : { ok: false, holder: after.holder, expiresAt: after.expires_at };
  }

  /** Extends our lease; false when it is no longer ours (it expired and someone took it). */
  async renewLease(pipeline: string, holder: string, ttlMs: number): Promise<boolean> {
    const r = await this.store.db.updateTable('pipeline_leases').set({ expires_at: new Date(Date.now() + ttlMs).toISOString() })
      .where('pipeline', '=', pipeline).where('holder', '=', holder).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async releaseLease(pipeline: string, holder: string): Promise<void> {
    await this.store.db.deleteFrom('pipeline_leases').where('pipeline', '=', pipeline).where('holder', '=', holder).execute();
  }

  // ---- schedule claims ----

  /** Claims one due slot of a pipeline; true for exactly one caller per (pipeline, slot). */
  async claimSlot(pipeline: string, dueAt: string, by: string): Promise<boolean> {
    const r = await this.store.db.insertInto('pipeline_schedule_claims')
      .values({ pipeline, due_at: dueAt, claimed_by: by, claimed_at: nowIso(), status: 'running', run_id: null, error: null })
      .onConflict((oc) => oc.columns(['pipeline', 'due_at']).doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async settleSlot(pipeline: string, dueAt: string, s: { status: 'finished' | 'failed' | 'skipped'; runId?: string; error?: string }): Promise<void> {
    await this.store.db.updateTable('pipeline_schedule_claims').set({ status: s.status, run_id: s.runId ?? null, error: s.error ?? null })
      .where('pipeline', '=', pipeline).where('due_at', '=', dueAt).execute();
  }

  /** The latest slot claimed for a pipeline (where a scheduler that was down picks up from). */
  async lastClaimedSlot(pipeline: string): Promise<string | undefined> {
    const r = await this.store.db.selectFrom('pipeline_schedule_claims').select('due_at').where('pipeline', '=', pipeline)
      .orderBy('due_at', 'desc').limit(1).executeTakeFirst();
    return r?.due_at;
  }

  async claims(pipeline?: string): Promise<{
    pipeline: string;
    dueAt: string;
    claimedBy: string;
    status: string;
    runId: string | null;
    error: string | null;
  }[]> {
    let q = this.store.db.selectFrom('pipeline_schedule_claims').selectAll();
    if (pipeline) q = q.where('pipeline', '=', pipeline);
    const rows = await q.orderBy('pipeline').orderBy('due_at').execute();
    return rows.map((r) => ({ pipeline: r.pipeline, dueAt: r.due_at, claimedBy: r.claimed_by, status: r.status, runId: r.run_id, error: r.error }));
  }
}

function runInfo(r: Selectable<Database['pipeline_runs']>): PipelineRunInfo {
  return {
    runId: r.run_id, pipeline: r.pipeline, status: r.status, mode: r.mode, resumedFrom: r.resumed_from,
    startedAt: r.started_at, endedAt: r.ended_at, layout: JSON.parse(r.layout), error: r.error,
  };
}
