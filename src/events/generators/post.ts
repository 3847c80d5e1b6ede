// A small client that posts generated events to a collector: NDJSON batches over keep-alive
// connections, a steady target rate, and retries while the collector says it is busy (503/429)
// or a pooled connection drops.
import http from 'node:http';
import https from 'node:https';

export interface PostProgress {
  /** events whose batch got an answer */
  sent: number;
  accepted: number;
  rejected: number;
  batches: number;
  retries: number;
  seconds: number;
  /** events per second answered so far */
  rate: number;
}

export interface PostSummary extends PostProgress {
  /** the first few rejections the collector reported, for the user to see why */
  examples: { index: number; field: string; message: string; event_id?: string }[];
}

export interface PostOptions {
  /** collector base URL, e.g. http://127.0.0.1:8080 ('/v1/events' is appended) */
  url: string;
  /** events per request (the collector takes at most 10,000); default 1000 */
  batch?: number;
  /** target events per second; 0 or undefined: as fast as the collector answers */
  rate?: number;
  /** requests in flight at once; default 2 */
  concurrency?: number;
  /** bearer token, when the collector requires one (TRIBUTARY_API_TOKEN) */
  token?: string;
  /** stop after this many events (the people stream is endless) */
  limit?: number;
  /** attempts per batch while the collector is busy or unreachable; default 10 */
  maxAttempts?: number;
  onProgress?(p: PostProgress): void;
  signal?: AbortSignal;
}

interface Answer { status: number; body: string; retryAfter?: string }

class Busy extends Error {
  constructor(message: string, readonly retryAfterMs?: number) { super(message); }
}

export function eventsUrl(base: string): URL {
  let u: URL;
  try { u = new URL(base); } catch { throw new Error(`post: not a URL: ${base}`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`post: expected an http(s) URL, got ${base}`);
  u.pathname = u.pathname.replace(/\/+$/, '') + '/v1/events';
  return u;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (ms <= 0 || signal?.aborted) return resolve();
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

/** Posts events in NDJSON batches; resolves with the totals once every batch is answered. */
export async function postEvents(events: Iterable<unknown>, opts: PostOptions): Promise<PostSummary> {
  const url = eventsUrl(opts.url);
  const batchSize = opts.batch ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new Error(`batch: expected an integer in [1, 10000], got ${batchSize}`);
  const rate = opts.rate ?? 0;
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new Error(`rate: expected events per second >= 0, got ${rate}`);
  const concurrency = opts.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency: expected an integer >= 1, got ${concurrency}`);
  const limit = opts.limit ?? Infinity;
  const maxAttempts = opts.maxAttempts ?? 10;
  const lib = url.protocol === 'https:' ? https : http;
  const agent = new lib.Agent({ keepAlive: true, maxSockets: concurrency });
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;

  const t0 = performance.now();
  const p: PostSummary = { sent: 0, accepted: 0, rejected: 0, batches: 0, retries: 0, seconds: 0, rate: 0, examples: [] };

  const request = (body: string) => new Promise<Answer>((resolve, reject) => {
    const req = lib.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on(
        'end',
        () => resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          retryAfter: res.headers['retry-after'] as string | undefined,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });

  const send = async (body: string, count: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const a = await request(body).catch((e: NodeJS.ErrnoException) => {
          // a keep-alive socket closed by the server, or a collector restarting: try again
          if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN'].includes(e.code ?? '')) throw new Busy(`${e.code} on ${url.host}`);
          throw e;
        });
        if (a.status === 503 || a.status === 429) {
          const secs = Number(a.retryAfter);
          throw new Busy(`HTTP ${a.status} ${a.body.slice(0, 200)}`, Number.isFinite(secs) ? secs * 1000 : undefined);
        }
        if (a.status !== 200 && a.status !== 422) {
          throw new Error(`collector answered HTTP ${a.status} at ${url.href}: ${a.body.slice(0, 500)}`);
        }
        const r = JSON.parse(a.body) as { accepted: number; rejected: PostSummary['examples'] };
        p.sent += count; p.accepted += r.accepted; p.rejected += r.rejected.length; p.batches++;
        for (const x of r.rejected) if (p.examples.length < 5) p.examples.push(x);
        p.seconds = (performance.now() - t0) / 1000;
        p.rate = p.sent / Math.max(p.seconds, 1e-9);
        if (opts.onProgress) { const { examples: _, ...progress } = p; opts.onProgress(progress); }
        return;
      } catch (e) {
        if (!(e instanceof Busy) || attempt >= maxAttempts || opts.signal?.aborted) {
          throw e instanceof Busy ? new Error(`collector still busy after ${attempt} attempts: ${e.message}`) : e;
        }
        p.retries++;
        await sleep(e.retryAfterMs ?? Math.min(5000, 100 * 2 ** (attempt - 1)), opts.signal);
      }
    }
  };

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let dispatched = 0;
  try {
    const it = events[Symbol.iterator]();
    let done = false;
    while (!done && dispatched < limit && !opts.signal?.aborted && failure === undefined) {
      const lines: string[] = [];
      while (lines.length < batchSize && dispatched + lines.length < limit) {
        const r = it.next();
        if (r.done) { done = true; break; }
        lines.push(JSON.stringify(r.value));
      }
      if (!lines.length) break;
      // the rate is held on average: a batch leaves once the events before it are due
      if (rate > 0) await sleep(t0 + (dispatched / rate) * 1000 - performance.now(), opts.signal);
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failure !== undefined) break;
      const job: Promise<void> = send(lines.join('\n') + '\n', lines.length)
        .catch((e) => { failure ??= e; })
        .finally(() => inFlight.delete(job));
      inFlight.add(job);
      dispatched += lines.length;
    }
    await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
  if (failure !== undefined) throw failure;
  p.seconds = (performance.now() - t0) / 1000;
  p.rate = p.sent / Math.max(p.seconds, 1e-9);
  return p;
}
