// The inference audit log: each inference request and its response, with the model, its version
// and the latency, appended to the lake's `inference` zone through the write-ahead log (the same
// durable path as collected events). A share of requests (config.auditSampling) is kept.
//
// The append is not awaited on the response path: records are gathered for a few milliseconds
// and appended as one batch (one write + fdatasync in the write-ahead log), because waiting for
// the disk would put a flush into every prediction's latency. A failed append is logged, never
// turned into a failed prediction; close() appends what is still gathered.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Lake } from '../lake/lake.ts';
import type { ColumnTypes } from '../lake/parquet.ts';
import type { WalRecord } from '../lake/wal.ts';

export const AUDIT_TABLE = 'inference.requests';

export const auditColumns: ColumnTypes = {
  ts: 'TIMESTAMPTZ',
  request_id: 'VARCHAR',
  endpoint: 'VARCHAR',
  model: 'VARCHAR',
  version: 'BIGINT',
  status: 'BIGINT',
  latency_ms: 'DOUBLE',
  request: 'VARCHAR',
  response: 'VARCHAR',
  experiment_id: 'VARCHAR',
  arm: 'VARCHAR',
  inputs: 'VARCHAR',
};

/** What a route served, set by the handler for the audit record. */
export interface InferenceTag {
  model: string;
  version: number;
  experiment_id?: string;
  arm?: string;
  /** predictions in the answer (rows, customers, profiles); counted in /metrics, 1 when absent */
  rows?: number;
  /**
   * the feature rows the model saw, when the route computed them (features looked up by id):
   * monitoring's sample of what was served. Absent when they are the request's own rows.
   */
  inputs?: { columns: string[]; rows: number[][] };
}

declare module 'fastify' {
  interface FastifyRequest { inference: InferenceTag | null }
}

const BATCH_MS = 5;
const BATCH_MAX = 1000;

export class AuditLog {
  private pending = 0;
  private failures = 0;
  private batch: WalRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<void>>();
  constructor(private readonly lake: Lake, private readonly sampling: number, private readonly log: (m: string) => void = () => {}) {}

  /** Queues any record for the lake (e.g. recommendation_shown events), appended with the next batch. */
  append(record: WalRecord): void {
    this.batch.push(record);
    if (this.batch.length >= BATCH_MAX) this.send();
    else if (!this.timer) this.timer = setTimeout(() => this.send(), BATCH_MS);
  }

  /** Appends what is gathered and waits for every append in flight. */
  async drain(): Promise<void> {
    this.send();
    await Promise.all([...this.inflight]);
  }

  private send(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (!this.batch.length) return;
    const records = this.batch;
    this.batch = [];
    this.pending += records.length;
    const p = this.lake.append(records)
      .catch((e: Error) => { this.failures += records.length; this.log(`audit: append of ${records.length} records failed: ${e.message}`); })
      .finally(() => { this.pending -= records.length; this.inflight.delete(p); });
    this.inflight.add(p);
  }

  get stats(): { pending: number; failures: number } { return { pending: this.pending, failures: this.failures }; }

  /** An onSend hook for an inference route: records the request, the answer and the timing. */
  hook(endpoint: string) {
    return (req: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, p: unknown) => void): void => {
      // every answer names its request, so a caller can find it in the audit table
      const id = randomUUID();
      reply.header('x-request-id', id);
      if (this.sampling > 0 && (this.sampling >= 1 || Math.random() < this.sampling)) {
        this.record(id, endpoint, req, reply.statusCode, reply.elapsedTime, payload);
      }
      done(null, payload);
    };
  }

  private record(requestId: string, endpoint: string, req: FastifyRequest, status: number, latencyMs: number, payload: unknown): void {
    const now = new Date();
    const tag = req.inference;
    let request: string;
    try {
      request = req.body === undefined ? JSON.stringify({ params: req.params, query: req.query }) : JSON.stringify(req.body);
    } catch {
      request = '(unserialisable)';
    }
    const response = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    const json = JSON.stringify({
      ts: now.toISOString(), request_id: requestId, endpoint, model: tag?.model ?? null, version: tag?.version ?? null,
      status, latency_ms: Math.round(latencyMs * 1000) / 1000, request, response,
      experiment_id: tag?.experiment_id ?? null, arm: tag?.arm ?? null, inputs: tag?.inputs ? JSON.stringify(tag.inputs) : null,
    });
    this.append({ table: AUDIT_TABLE, dt: now.toISOString().slice(0, 10), json });
  }
}
