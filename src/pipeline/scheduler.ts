// The scheduler: runs pipelines on the cron expressions of the config. Any number of schedulers
// (processes, machines) may run against one metadata database: each due slot of a pipeline is
// claimed by an INSERT on the (pipeline, slot) primary key, so exactly one scheduler runs it, and
// the run itself takes the pipeline's lease, so two runs of one pipeline never overlap (a slot
// whose predecessor still runs waits for the lease). Slots missed while no scheduler was up
// follow the entry's policy: 'once' (default) runs the newest missed slot once and records the
// older ones as skipped; 'all' runs every missed slot in order; 'skip' runs none of them.
import { leaseHolder, PipelineState } from './state.ts';
import { dueBetween, parseCron, type Cron } from './cron.ts';
import type { MetaStore } from '../metadata/db.ts';

export type MissedPolicy = 'once' | 'all' | 'skip';

export interface ScheduleEntry {
  pipeline: string;
  cron: string;
  missed?: MissedPolicy;
  full?: boolean;
  args?: Record<string, unknown>;
}

/** Runs one pipeline for one slot; resolves with the tracked run's id. Throws PipelineBusyError-like errors with `busy` set when the lease is held. */
export type SlotRunner = (entry: ScheduleEntry, slot: string) => Promise<{ runId: string }>;

export interface SchedulerOptions {
  store: MetaStore;
  entries: ScheduleEntry[];
  run: SlotRunner;
  /** who claims (default host:pid:random) */
  by?: string;
  log?: (line: string) => void;
  now?: () => Date;
  /** a slot this late is missed, for the 'skip' policy (default 60 s) */
  graceMs?: number;
  /** how long a claimed slot waits for the pipeline's lease (default 10 minutes) */
  leaseWaitMs?: number;
}

interface Active { entry: ScheduleEntry; cron: Cron; busy: Promise<void> }

export class Scheduler {
  readonly by: string;
  private readonly state: PipelineState;
  private readonly active: Active[];
  private readonly startedAt: Date;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly opts: SchedulerOptions) {
    this.by = opts.by ?? leaseHolder('sched');
    this.state = new PipelineState(opts.store);
    this.active = opts.entries.map((entry) => {
      if (!/^[a-z][a-z0-9_-]*$/.test(entry.pipeline)) throw new Error(`schedule: bad pipeline name "${entry.pipeline}"`);
      if (entry.missed && !['once', 'all', 'skip'].includes(entry.missed)) {
        throw new Error(`schedule ${entry.pipeline}: missed must be once, all or skip (got "${entry.missed}")`);
      }
      return { entry, cron: parseCron(entry.cron), busy: Promise.resolve() };
    });
    this.startedAt = this.now();
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /** Claims and starts whatever is due now. Runs of one pipeline go one after another. */
  async tick(): Promise<void> {
    const now = this.now();
    for (const a of this.active) {
      const last = await this.state.lastClaimedSlot(a.entry.pipeline);
      const from = last ? new Date(last) : this.startedAt;
      const due = dueBetween(a.cron, from, now);
      if (!due.length) continue;
      const policy = a.entry.missed ?? 'once';
      // the newest slot is due now (or was, if this scheduler was down); the older ones were missed
      const newest = due.at(-1)!;
      const onTime = now.getTime() - newest.getTime() <= (this.opts.graceMs ?? 60_000);
      for (const slot of due) {
        const iso = slot.toISOString();
        const toRun = policy === 'all' || (slot === newest && (policy === 'once' || onTime));
        if (!(await this.state.claimSlot(a.entry.pipeline, iso, this.by))) continue;
        if (!toRun) {
          await this.state.settleSlot(a.entry.pipeline, iso, { status: 'skipped', error: `missed while no scheduler ran (policy ${policy})` });
          this.log(`schedule ${a.entry.pipeline} ${iso}: missed, skipped (policy ${policy})`);
          continue;
        }
        a.busy = a.busy.then(() => this.runSlot(a.entry, iso));
      }
    }
  }

  private async runSlot(entry: ScheduleEntry, slot: string): Promise<void> {
    const deadline = Date.now() + (this.opts.leaseWaitMs ?? 600_000);
    for (;;) {
      try {
        this.log(`schedule ${entry.pipeline} ${slot}: running`);
        const { runId } = await this.opts.run(entry, slot);
        await this.state.settleSlot(entry.pipeline, slot, { status: 'finished', runId });
        this.log(`schedule ${entry.pipeline} ${slot}: finished (run ${runId})`);
        return;
      } catch (e) {
        const busy = (e as Error).name === 'PipelineBusyError';
        if (busy && Date.now() < deadline && !this.stopping) {
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        await this.state.settleSlot(entry.pipeline, slot, { status: 'failed', error: (e as Error).message }).catch(() => {});
        this.log(`schedule ${entry.pipeline} ${slot}: failed: ${(e as Error).message}`);
        return;
      }
    }
  }

  /** Ticks every `intervalMs` until stop(). */
  start(intervalMs = 1000): void {
    const loop = () => {
      if (this.stopping) return;
      this.ticking = this.tick().catch((e) => this.log(`schedule: tick failed: ${(e as Error).message}`))
        .finally(() => { if (!this.stopping) this.timer = setTimeout(loop, intervalMs); });
    };
    loop();
  }

  /** Stops claiming; waits for the runs already started. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await Promise.all(this.active.map((a) => a.busy));
  }
}
