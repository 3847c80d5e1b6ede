// The NATS JetStream bus: streams are JetStream streams (file storage, R1/R3/R5 replicas),
// durable consumers are JetStream pull consumers with explicit acks, notices are core NATS
// publishes and requests use NATS request/reply with a queue group. NATS does the distributing;
// this file only maps the Bus interface onto it.
//
// A publish is retried (same msgId, so JetStream stores it once) while the cluster elects a new
// leader after a node is lost: the caller sees either "stored" or an error after retryForMs,
// never a silent loss.
import {
  AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, connect, headers as natsHeaders, nanos,
  type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type NatsConnection,
} from 'nats';
import {
  BusTimeoutError, NoStreamError, deliver,
  type BatchHandler, type Bus, type BusMessage, type ConsumeOptions, type PublishAck, type PublishOptions, type StreamSpec, type Subscription,
} from './types.ts';

export interface JetStreamOptions {
  /** one URL or several, comma separated (any node of a cluster) */
  url: string;
  /** shown in the server's connection list */
  name?: string;
  /** how long publish() keeps retrying through a leader election (ms, default 15 s) */
  retryForMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class JetStreamBus implements Bus {
  readonly kind = 'jetstream';

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly retryForMs: number,
  ) {}

  static async connect(opts: JetStreamOptions): Promise<JetStreamBus> {
    const servers = opts.url.split(',').map((s) => s.trim()).filter(Boolean);
    const nc = await connect({
      servers, name: opts.name ?? `tributary-${process.pid}`,
      maxReconnectAttempts: -1, reconnectTimeWait: 200, pingInterval: 2000, maxPingOut: 2,
    }).catch((e: Error) => { throw new Error(`cannot connect to NATS at ${opts.url}: ${e.message}`); });
    const retryForMs = opts.retryForMs ?? 15_000;
    // A server without JetStream answers "no responders" at once. A timeout means JetStream is
    // there but its cluster is electing a meta leader (a node was just lost): wait that out.
    const until = Date.now() + retryForMs;
    let jsm: JetStreamManager | undefined;
    while (!jsm) {
      try {
        jsm = await nc.jetstreamManager({ timeout: 5000 });
      } catch (e) {
        const msg = (e as Error).message;
        if (/timeout/i.test(msg) && Date.now() < until) { await sleep(250); continue; }
        await nc.close();
        throw new Error(/timeout/i.test(msg)
          ? `NATS at ${opts.url}: JetStream did not answer within ${retryForMs} ms (${msg})`
          : `NATS at ${opts.url} has no JetStream (start nats-server with -js): ${msg}`, { cause: e });
      }
    }
    return new JetStreamBus(nc, nc.jetstream({ timeout: 5000 }), jsm, retryForMs);
  }

  async ensureStream(spec: StreamSpec): Promise<void> {
    const cfg = {
      name: spec.name,
      subjects: spec.subjects,
      retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: spec.replicas ?? 1,
      duplicate_window: nanos(spec.duplicateWindowMs ?? 120_000),
      max_age: spec.maxAgeMs ? nanos(spec.maxAgeMs) : 0,
    };
    await this.retry(`stream ${spec.name}`, async () => {
      const exists = await this.jsm.streams.info(spec.name).then(() => true, (e: Error) => {
        if (/not found/i.test(e.message)) return false;
        throw e;
      });
      if (exists) await this.jsm.streams.update(spec.name, cfg);
      else await this.jsm.streams.add(cfg);
    });
  }

  async deleteStream(name: string): Promise<void> {
    await this.jsm.streams.delete(name).catch((e: Error) => { if (!/not found/i.test(e.message)) throw e; });
  }

  async publish(subject: string, data: Uint8Array, opts: PublishOptions = {}): Promise<PublishAck> {
    let h: ReturnType<typeof natsHeaders> | undefined;
    if (opts.headers && Object.keys(opts.headers).length) {
      h = natsHeaders();
      for (const [k, v] of Object.entries(opts.headers)) h.set(k, v);
    }
    const pa = await this.retry(`publish ${subject}`, async () => {
      try {
        return await this.js.publish(subject, data, { msgID: opts.msgId, headers: h, timeout: 5000 });
      } catch (e) {
        // 503 "no responders": no stream holds the subject, or its leader is being elected
        if (/503|no responders/i.test((e as Error).message)) await this.jsm.streams.find(subject);
        throw e;
      }
    }, opts.msgId !== undefined);
    return { stream: pa.stream, seq: pa.seq, duplicate: pa.duplicate };
  }

  /**
   * Runs fn until it succeeds or retryForMs passes. Only safe to repeat when the operation is
   * idempotent: stream management, and publishes that carry a msgId.
   */
  private async retry<T>(what: string, fn: () => Promise<T>, idempotent = true): Promise<T> {
    const until = Date.now() + this.retryForMs;
    let wait = 100;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        if (/no stream matches subject/i.test(msg)) throw new NoStreamError(`${what}: ${msg}`);
        if (!idempotent || Date.now() + wait > until || this.nc.isClosed()) throw new Error(`${what}: ${msg}`, { cause: e });
        await sleep(wait);
        wait = Math.min(wait * 2, 1000);
      }
    }
  }

  async streamMessages(name: string): Promise<number> {
    return this.retry(`stream ${name}`, async () => {
      try {
        return (await this.jsm.streams.info(name)).state.messages;
      } catch (e) {
        if (/not found/i.test((e as Error).message)) throw new NoStreamError(`no stream ${name}`);
        throw e;
      }
    });
  }

  async consume(opts: ConsumeOptions, handler: BatchHandler): Promise<Subscription> {
    const cfg = {
      durable_name: opts.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(opts.ackWaitMs ?? 30_000),
      max_ack_pending: opts.maxAckPending ?? 1000,
      max_deliver: -1,
      deliver_policy: opts.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      ...(opts.filterSubject ? { filter_subject: opts.filterSubject } : {}),
    };
    await this.retry(`consumer ${opts.durable}`, async () => {
      const exists = await this.jsm.consumers.info(opts.stream, opts.durable).then(() => true, (e: Error) => {
        if (/stream not found/i.test(e.message)) throw new NoStreamError(`no stream ${opts.stream}`);
        if (/not found/i.test(e.message)) return false;
        throw e;
      });
      if (!exists) await this.jsm.consumers.add(opts.stream, cfg).catch((e: Error) => { if (!/already (exists|in use)/i.test(e.message)) throw e; });
    });
    const batch = opts.batch ?? 100;
    // Messages arrive in a local queue (bounded by the consumer's max_ack_pending: the server
    // sends no more than that unacknowledged); the loop hands what is there to the handler.
    const queue: JsMsg[] = [];
    let wake: () => void = () => {};
    let running = true;
    let messages: ConsumerMessages | undefined;
    const open = async () => {
      const c = await this.js.consumers.get(opts.stream, opts.durable);
      messages = await c.consume({
        max_messages: Math.min(batch * 2, opts.maxAckPending ?? 1000),
        expires: 5000,
        callback: (m) => { lastMessageAt = Date.now(); queue.push(m); wake(); },
      });
    };
    let lastMessageAt = Date.now();
    await this.retry(`consume ${opts.durable}`, open);
    // the client re-pulls through disconnects and leader changes by itself; should its pull
    // loop end anyway (consumer lost and recreated), open it again
    const watch = (async () => {
      while (running) {
        const m = messages;
        await m?.closed().catch(() => {});
        if (!running) return;
        await sleep(250);
        await this.retry(`consume ${opts.durable}`, open).catch(() => {});
      }
    })();
    // The client's pull loop can lose its pull request for good when a node dies while it is
    // backing off (it then stops watching heartbeats): idle with messages waiting on the consumer
    // means stuck, so the pull loop is replaced. On a healthy consumer this never fires: the
    // server hands waiting messages to any open pull at once.
    const stallMs = opts.stallMs ?? 15_000;
    let handling = false;
    const stallCheck = setInterval(() => {
      if (!running || handling || queue.length > 0 || Date.now() - lastMessageAt < stallMs) return;
      void this.jsm.consumers.info(opts.stream, opts.durable).then((ci) => {
        if (!running || ci.num_pending === 0 || Date.now() - lastMessageAt < stallMs) return;
        lastMessageAt = Date.now();
        messages?.stop(); // the watch loop opens a new one
      }, () => {});
    }, Math.max(1000, stallMs / 3));
    stallCheck.unref();
    const loop = (async () => {
      while (running) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => { wake = resolve; setTimeout(resolve, 500); });
          continue;
        }
        const taken = queue.splice(0, batch);
        handling = true;
        await deliver(handler, taken.map(toBusMessage));
        handling = false;
        lastMessageAt = Date.now();
      }
    })();
    return {
      stop: async () => {
        running = false;
        clearInterval(stallCheck);
        wake();
        await loop;
        messages?.stop();
        await watch;
        // what was pulled and not handled goes back at once rather than after ack-wait
        for (const m of queue.splice(0)) m.nak();
      },
    };
  }

  async notify(subject: string, data: Uint8Array): Promise<void> {
    this.nc.publish(subject, data);
    await this.nc.flush();
  }

  onNotice(subject: string, fn: (data: Uint8Array, subject: string) => void): Subscription {
    const sub = this.nc.subscribe(subject, { callback: (err, msg) => { if (!err) fn(msg.data, msg.subject); } });
    return { stop: async () => { sub.unsubscribe(); } };
  }

  async request(subject: string, data: Uint8Array, timeoutMs = 5000): Promise<Uint8Array> {
    try {
      return (await this.nc.request(subject, data, { timeout: timeoutMs })).data;
    } catch (e) {
      throw new BusTimeoutError(`request ${subject}: ${(e as Error).message}`);
    }
  }

  respond(subject: string, fn: (data: Uint8Array) => Promise<Uint8Array> | Uint8Array): Subscription {
    const sub = this.nc.subscribe(subject, {
      queue: 'responders',
      callback: (err, msg) => {
        if (err) return;
        void Promise.resolve().then(() => fn(msg.data)).then(
          (out) => msg.respond(out),
          (e: Error) => msg.respond(new TextEncoder().encode(JSON.stringify({ error: e.message }))),
        );
      },
    });
    return { stop: async () => { sub.unsubscribe(); } };
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

function toBusMessage(m: JsMsg): BusMessage {
  const headers: Record<string, string> = {};
  if (m.headers) for (const k of m.headers.keys()) headers[k] = m.headers.get(k);
  return {
    subject: m.subject, data: m.data, headers, seq: m.seq,
    deliveryCount: m.info.redeliveryCount, storedAt: m.info.timestampNanos / 1e6,
    ack: async () => {
      // the broker confirms the ack; a lost confirmation only means a redelivery, which the
      // consumer must tolerate anyway
      await m.ackAck({ timeout: 5000 }).catch(() => false);
    },
    nak: (delayMs) => m.nak(delayMs),
    working: () => m.working(),
  };
}
