// The in-process bus: the same semantics as the JetStream one (stored streams, durable pull
// consumers with ack, redelivery after ack-wait or nak, maxAckPending backpressure, work-queue
// retention, msgId de-duplication, notices, request/reply) inside one process. Nothing survives
// the process; it is for the laptop demo, single-process runs and the shared test suite.
import {
  BusTimeoutError, NoStreamError, deliver, subjectMatches,
  type BatchHandler, type Bus, type BusMessage, type ConsumeOptions, type PublishAck, type PublishOptions, type StreamSpec, type Subscription,
} from './types.ts';

interface Stored {
  seq: number;
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  storedAt: number;
}

interface Pending {
  /** when it is delivered again unless acknowledged */
  due: number;
  count: number;
}

interface ConsumerState {
  opts: Required<Omit<ConsumeOptions, 'filterSubject' | 'stallMs'>> & { filterSubject?: string };
  /** the next never-delivered sequence */
  next: number;
  pending: Map<number, Pending>;
}

interface StreamState {
  spec: StreamSpec;
  messages: Map<number, Stored>;
  last: number;
  dedup: Map<string, { seq: number; at: number }>;
  consumers: Map<string, ConsumerState>;
}

export class MemoryBus implements Bus {
  readonly kind = 'memory';
  private readonly streams = new Map<string, StreamState>();
  private readonly wakers = new Set<() => void>();
  private readonly notices = new Map<number, { subject: string; fn: (d: Uint8Array, s: string) => void }>();
  private readonly responders = new Map<number, { subject: string; fn: (d: Uint8Array) => Promise<Uint8Array> | Uint8Array }>();
  private nextId = 0;
  private rr = 0;
  private closed = false;

  async ensureStream(spec: StreamSpec): Promise<void> {
    for (const [name, s] of this.streams) {
      if (name === spec.name) continue;
      const clash = spec.subjects.find((a) => s.spec.subjects.some((b) => subjectMatches(a, b) || subjectMatches(b, a) || a === b));
      if (clash) throw new Error(`stream ${spec.name}: subject ${clash} already belongs to stream ${name}`);
    }
    const cur = this.streams.get(spec.name);
    if (cur) cur.spec = spec;
    else this.streams.set(spec.name, { spec, messages: new Map(), last: 0, dedup: new Map(), consumers: new Map() });
  }

  async deleteStream(name: string): Promise<void> {
    this.streams.delete(name);
  }

  async publish(subject: string, data: Uint8Array, opts: PublishOptions = {}): Promise<PublishAck> {
    if (this.closed) throw new Error('bus is closed');
    const s = [...this.streams.values()].find((st) => st.spec.subjects.some((f) => subjectMatches(f, subject)));
    if (!s) throw new NoStreamError(`no stream holds subject ${subject}`);
    const now = Date.now();
    if (opts.msgId) {
      const window = s.spec.duplicateWindowMs ?? 120_000;
      const seen = s.dedup.get(opts.msgId);
      if (seen && now - seen.at < window) return { stream: s.spec.name, seq: seen.seq, duplicate: true };
      if (s.dedup.size > 100_000) for (const [k, v] of s.dedup) if (now - v.at >= window) s.dedup.delete(k);
    }
    const seq = ++s.last;
    s.messages.set(seq, { seq, subject, data: data.slice(), headers: { ...opts.headers }, storedAt: now });
    if (opts.msgId) s.dedup.set(opts.msgId, { seq, at: now });
    if (s.spec.maxAgeMs) for (const [k, m] of s.messages) { if (now - m.storedAt > s.spec.maxAgeMs) s.messages.delete(k); else break; }
    this.wake();
    return { stream: s.spec.name, seq, duplicate: false };
  }

  async streamMessages(name: string): Promise<number> {
    const s = this.streams.get(name);
    if (!s) throw new NoStreamError(`no stream ${name}`);
    return s.messages.size;
  }

  async consume(opts: ConsumeOptions, handler: BatchHandler): Promise<Subscription> {
    const s = this.streams.get(opts.stream);
    if (!s) throw new NoStreamError(`no stream ${opts.stream}`);
    let c = s.consumers.get(opts.durable);
    if (!c) {
      c = {
        opts: { batch: 100, ackWaitMs: 30_000, maxAckPending: 1000, deliver: 'all', ...opts },
        next: opts.deliver === 'new' ? s.last + 1 : 1,
        pending: new Map(),
      };
      s.consumers.set(opts.durable, c);
    }
    const state = c;
    let running = true;
    let wake: () => void = () => {};
    const loop = (async () => {
      while (running && !this.closed) {
        const batch = this.take(s, state, opts.batch ?? state.opts.batch);
        if (batch.length === 0) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(done, this.nextDue(state));
            function done() { clearTimeout(t); resolve(); }
            wake = done;
            this.wakers.add(done);
          });
          this.wakers.delete(wake);
          continue;
        }
        await deliver(handler, batch.map((m) => this.message(s, state, m)));
      }
    })();
    return {
      stop: async () => {
        running = false;
        wake();
        await loop;
      },
    };
  }

  /** Expired or nak'd deliveries first, then new messages, within maxAckPending. */
  private take(s: StreamState, c: ConsumerState, max: number): Stored[] {
    const now = Date.now();
    const out: Stored[] = [];
    for (const [seq, p] of c.pending) {
      if (out.length >= max) return out;
      const m = s.messages.get(seq);
      if (!m) { c.pending.delete(seq); continue; }
      if (p.due <= now) { p.count++; p.due = now + c.opts.ackWaitMs; out.push(m); }
    }
    while (out.length < max && c.next <= s.last && c.pending.size < c.opts.maxAckPending) {
      const m = s.messages.get(c.next++);
      if (!m || (c.opts.filterSubject && !subjectMatches(c.opts.filterSubject, m.subject))) continue;
      c.pending.set(m.seq, { due: now + c.opts.ackWaitMs, count: 1 });
      out.push(m);
    }
    return out;
  }

  private nextDue(c: ConsumerState): number {
    let due = Infinity;
    for (const p of c.pending.values()) due = Math.min(due, p.due);
    return Math.max(1, Math.min(250, due - Date.now()));
  }

  private message(s: StreamState, c: ConsumerState, m: Stored): BusMessage {
    const count = c.pending.get(m.seq)?.count ?? 1;
    return {
      subject: m.subject, data: m.data, headers: m.headers, seq: m.seq, deliveryCount: count, storedAt: m.storedAt,
      ack: async () => {
        if (!c.pending.delete(m.seq)) return;
        if (s.spec.retention === 'workqueue') s.messages.delete(m.seq);
        this.wake();
      },
      nak: (delayMs = 0) => {
        const p = c.pending.get(m.seq);
        if (p) { p.due = Date.now() + delayMs; this.wake(); }
      },
      working: () => {
        const p = c.pending.get(m.seq);
        if (p) p.due = Date.now() + c.opts.ackWaitMs;
      },
    };
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  async notify(subject: string, data: Uint8Array): Promise<void> {
    for (const n of [...this.notices.values()]) {
      if (subjectMatches(n.subject, subject)) queueMicrotask(() => n.fn(data.slice(), subject));
    }
  }

  onNotice(subject: string, fn: (data: Uint8Array, subject: string) => void): Subscription {
    const id = this.nextId++;
    this.notices.set(id, { subject, fn });
    return { stop: async () => { this.notices.delete(id); } };
  }

  async request(subject: string, data: Uint8Array, timeoutMs = 5000): Promise<Uint8Array> {
    const candidates = [...this.responders.values()].filter((r) => subjectMatches(r.subject, subject));
    if (candidates.length === 0) throw new BusTimeoutError(`no responder for ${subject}`);
    const r = candidates[this.rr++ % candidates.length]!;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(() => r.fn(data.slice())),
        new Promise<never>((_, reject) => { timer = setTimeout(
          () => reject(new BusTimeoutError(`request ${subject} timed out after ${timeoutMs} ms`)),
          timeoutMs,
        ); }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  respond(subject: string, fn: (data: Uint8Array) => Promise<Uint8Array> | Uint8Array): Subscription {
    const id = this.nextId++;
    this.responders.set(id, { subject, fn });
    return { stop: async () => { this.responders.delete(id); } };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
  }
}
