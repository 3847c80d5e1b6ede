// Scale-out ingest over JetStream. Collectors (any number, stateless) publish each accepted
// batch to a replicated work-queue stream and acknowledge the client once JetStream has stored
// it; lake writers (any number, on any machine that mounts the lake) take batches from the
// stream, write them as Parquet and commit them to the catalog together with the stream
// sequence numbers they came from, and only then acknowledge. A writer killed before its commit
// leaves its messages to be redelivered; one killed after its commit and before its ack leaves
// messages whose sequence numbers the catalog refuses to commit twice: each event lands once.
import { createHash } from 'node:crypto';
import { ensureReplicatedStream, type Bus, type BusMessage, type Subscription } from '../bus/types.ts';
import type { Lake, RecordSink } from './lake.ts';
import { decodeSegment, encodeRecords, type WalRecord } from './wal.ts';

export const INGEST_STREAM = 'TRIBUTARY_INGEST';
export const INGEST_SUBJECT = 'tributary.ingest.batch';
export const LAKE_WRITERS = 'lake-writers';

/** Creates the ingest stream: R3 on a cluster, R1 on a single server. */
export async function ensureIngestStream(bus: Bus, opts: { stream?: string; subject?: string } = {}): Promise<void> {
  await ensureReplicatedStream(bus, { name: opts.stream ?? INGEST_STREAM, subjects: [opts.subject ?? INGEST_SUBJECT], retention: 'workqueue' });
}

/** The collector's side: a batch is durable once JetStream has stored it. */
export class BusRecordSink implements RecordSink {
  constructor(private readonly bus: Bus, private readonly subject = INGEST_SUBJECT) {}

  async append(records: WalRecord[]): Promise<void> {
    if (records.length === 0) return;
    const body = encodeRecords(records);
    // the same batch retried (a client resending after a lost answer) is stored once
    const msgId = createHash('sha256').update(body).digest('base64url');
    await this.bus.publish(this.subject, Buffer.from(body), { msgId });
  }
}

export interface LakeWriterOptions {
  stream?: string;
  durable?: string;
  /** stream messages (collector batches) committed together */
  batch?: number;
  ackWaitMs?: number;
  log?: (m: string) => void;
}

export interface LakeWriterStats {
  messages: number;
  records: number;
  files: number;
  /** redelivered messages found already committed (another writer's, or ours before a crash) */
  duplicates: number;
  failures: number;
}

/** A lake writer: takes batches from the ingest stream and commits them to the lake. */
export class LakeWriter {
  readonly stats: LakeWriterStats = { messages: 0, records: 0, files: 0, duplicates: 0, failures: 0 };
  private sub: Subscription | undefined;
  private readonly stream: string;

  constructor(private readonly bus: Bus, private readonly lake: Lake, private readonly opts: LakeWriterOptions = {}) {
    this.stream = opts.stream ?? INGEST_STREAM;
  }

  async start(): Promise<void> {
    this.sub = await this.bus.consume({
      stream: this.stream, durable: this.opts.durable ?? LAKE_WRITERS,
      batch: this.opts.batch ?? 64, ackWaitMs: this.opts.ackWaitMs ?? 30_000, maxAckPending: 1024,
    }, (msgs) => this.handle(msgs));
  }

  private mark(m: BusMessage): string {
    return `js:${this.stream}:${m.seq}`;
  }

  private async handle(msgs: BusMessage[]): Promise<void> {
    const done = await this.lake.catalog.committedOf(msgs.map((m) => this.mark(m)));
    const fresh = msgs.filter((m) => !done.has(this.mark(m)));
    for (const m of msgs) if (done.has(this.mark(m))) { this.stats.duplicates++; await m.ack(); }
    if (fresh.length === 0) return;
    const records = fresh.flatMap((m) => decodeSegment(Buffer.from(m.data)).records);
    try {
      const r = await this.lake.writeBatch(records, fresh.map((m) => this.mark(m)), `js-${fresh[0]!.seq}-${fresh.length}-${process.pid}`);
      this.stats.messages += fresh.length; this.stats.records += r.records; this.stats.files += r.files;
    } catch (e) {
      // lost a race with another writer for some of these, or the lake is unwritable: what is
      // committed is acknowledged, the rest comes back
      this.stats.failures++;
      const now = await this.lake.catalog.committedOf(fresh.map((m) => this.mark(m))).catch(() => new Set<string>());
      for (const m of fresh) { if (now.has(this.mark(m))) await m.ack(); else m.nak(500); }
      if (now.size < fresh.length) this.opts.log?.(`lake writer: batch of ${fresh.length} messages not committed (${(e as Error).message}); redelivered`);
      return;
    }
    await Promise.all(fresh.map((m) => m.ack()));
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}
