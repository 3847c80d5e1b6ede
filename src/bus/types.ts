// The bus: one small interface for moving messages between Tributary's processes, with an
// in-process implementation (one process, tests, the laptop demo) and a NATS JetStream one
// (NATS_URL: several processes or machines). Two kinds of traffic:
//  - streams: durable. publish() resolves once the message is stored (in JetStream: by a quorum
//    of the stream's replicas); consume() is a durable pull consumer: each message is delivered
//    until it is acknowledged (redelivered after ackWaitMs or on nak), consumers sharing a
//    durable name share the work (a work queue), and at most maxAckPending messages are out at
//    once, so a slow consumer slows delivery instead of being buried (backpressure).
//  - notices and requests: fire-and-forget notices (a promotion happened) and request/reply
//    (a prediction), at most once, for traffic whose loss is handled by the caller.

export interface StreamSpec {
  name: string;
  subjects: string[];
  /** 'workqueue': a message is deleted once acknowledged; 'limits': kept for every consumer */
  retention?: 'limits' | 'workqueue';
  /** copies kept by JetStream (1, 3 or 5); the in-process bus keeps one */
  replicas?: number;
  /** publishes with the same msgId inside this window are stored once (ms, default 2 min) */
  duplicateWindowMs?: number;
  /** messages older than this are dropped (ms; default: kept) */
  maxAgeMs?: number;
}

export interface PublishOptions {
  /** de-duplication id: a retried publish with the same id is stored once */
  msgId?: string;
  headers?: Record<string, string>;
}

export interface PublishAck {
  stream: string;
  seq: number;
  /** true when the msgId had been stored already (a retry) */
  duplicate: boolean;
}

export interface BusMessage {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  /** the stream's sequence number: unique per stored message */
  seq: number;
  /** 1 on the first delivery */
  deliveryCount: number;
  /** milliseconds since the epoch when the stream stored it */
  storedAt: number;
  /** done: never delivered again (resolves once the broker has it) */
  ack(): Promise<void>;
  /** deliver again (after delayMs) */
  nak(delayMs?: number): void;
  /** still working: restarts the ack-wait clock */
  working(): void;
}

export interface ConsumeOptions {
  stream: string;
  /** consumers with the same durable name share its messages and its position */
  durable: string;
  /** only subjects matching this filter */
  filterSubject?: string;
  /** messages handed to the handler at once (at most) */
  batch?: number;
  /** unacknowledged messages are redelivered after this (ms, default 30 s) */
  ackWaitMs?: number;
  /** at most this many delivered and not yet acknowledged messages (default 1000) */
  maxAckPending?: number;
  /** where a new durable starts: every stored message (default) or only new ones */
  deliver?: 'all' | 'new';
  /** idle this long while the consumer holds undelivered messages = the pull is lost; reopen it (ms, default 15 s) */
  stallMs?: number;
}

/**
 * Handles a batch of messages: acknowledge (or nak) each. The next batch is pulled only once the
 * handler returns. A throw naks what the handler left unacknowledged.
 */
export type BatchHandler = (messages: BusMessage[]) => Promise<void>;

export interface Subscription {
  /** stops pulling; resolves after the batch in hand is handled */
  stop(): Promise<void>;
}

export interface Bus {
  /** 'memory' or 'jetstream' */
  readonly kind: string;
  /** creates the stream, or updates its subjects and limits */
  ensureStream(spec: StreamSpec): Promise<void>;
  deleteStream(name: string): Promise<void>;
  /** stores a message in the stream that owns the subject; resolves once stored */
  publish(subject: string, data: Uint8Array, opts?: PublishOptions): Promise<PublishAck>;
  consume(opts: ConsumeOptions, handler: BatchHandler): Promise<Subscription>;
  /** messages stored and not yet removed (a work queue's backlog) */
  streamMessages(name: string): Promise<number>;
  /** at-most-once notice to every current subscriber */
  notify(subject: string, data: Uint8Array): Promise<void>;
  onNotice(subject: string, handler: (data: Uint8Array, subject: string) => void): Subscription;
  /** asks the one responder of a subject (queue group), rejects after timeoutMs */
  request(subject: string, data: Uint8Array, timeoutMs?: number): Promise<Uint8Array>;
  /** answers requests on a subject; responders of one subject share the load */
  respond(subject: string, handler: (data: Uint8Array) => Promise<Uint8Array> | Uint8Array): Subscription;
  close(): Promise<void>;
}

export class BusTimeoutError extends Error {
  override name = 'BusTimeoutError';
}

export class NoStreamError extends Error {
  override name = 'NoStreamError';
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const encodeJson = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
export const decodeJson = <T = unknown>(b: Uint8Array): T => JSON.parse(dec.decode(b)) as T;
export const encodeText = (s: string): Uint8Array => enc.encode(s);
export const decodeText = (b: Uint8Array): string => dec.decode(b);

/** NATS subject wildcards: `*` one token, `>` the rest. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

/** Hands a batch to its handler; a throw naks what the handler left (it comes back). */
export async function deliver(handler: BatchHandler, messages: BusMessage[]): Promise<void> {
  try {
    await handler(messages);
  } catch {
    for (const m of messages) m.nak();
  }
}

/** Creates a stream with three replicas on a JetStream cluster, one on a single server. */
export async function ensureReplicatedStream(bus: Bus, spec: Omit<StreamSpec, 'replicas'>): Promise<void> {
  try {
    await bus.ensureStream({ ...spec, replicas: 3 });
  } catch (e) {
    if (!/replicas|insufficient resources|clustered/i.test((e as Error).message)) throw e;
    await bus.ensureStream({ ...spec, replicas: 1 });
  }
}
