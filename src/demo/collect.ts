// Sends a stream of events through the collector over HTTP, as a real client would: NDJSON
// batches, a few in flight at once, every response checked.
export interface CollectResult {
  sent: number;
  accepted: number;
  rejected: number;
  batches: number;
}

export async function postEvents(
  url: string,
  events: Iterable<object>,
  opts: { batch?: number; concurrency?: number; token?: string } = {},
): Promise<CollectResult> {
  const batchSize = opts.batch ?? 1000;
  const concurrency = opts.concurrency ?? 4;
  const res: CollectResult = { sent: 0, accepted: 0, rejected: 0, batches: 0 };
  const it = events[Symbol.iterator]();
  let done = false;
  const nextBody = (): string | undefined => {
    if (done) return undefined;
    const lines: string[] = [];
    while (lines.length < batchSize) {
      const n = it.next();
      if (n.done) { done = true; break; }
      lines.push(JSON.stringify(n.value));
    }
    res.sent += lines.length;
    return lines.length ? lines.join('\n') : undefined;
  };
  const worker = async () => {
    for (let body = nextBody(); body !== undefined; body = nextBody()) {
      const r = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
        body,
      });
      if (r.status !== 200 && r.status !== 422) throw new Error(`collector answered ${r.status}: ${await r.text()}`);
      const out = await r.json() as { accepted: number; rejected: unknown[] };
      res.accepted += out.accepted;
      res.rejected += out.rejected.length;
      res.batches++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return res;
}

/** Corrupts every n-th event (a negative or missing field), so the demo shows quarantine at work. */
export function* withSomeInvalid<T extends object>(events: Iterable<T>, every: number): Generator<object> {
  let i = 0;
  for (const e of events) {
    i++;
    if (i % every === 0) yield { ...e, ts: 'not a time' };
    else if (i % every === Math.floor(every / 2)) { const { event_id: _drop, ...rest } = e as Record<string, unknown>; yield rest; }
    else yield e;
  }
}
