// Scale-out and the streaming use case, in one run.
// 1. Ingest: a collector (`tributary serve` with NATS_URL) publishing accepted batches to a
//    replicated (R3) JetStream stream on a three-node cluster, and 1, 2, 4 lake writer processes
//    committing them to the lake (PostgreSQL catalog): events per second from the first POST to
//    the last event queryable, and publish-to-queryable latency (p50, p99) of single batches.
//    Then the writers alone: a backlog of the same size stored in JetStream while no writer
//    runs, drained by 1, 2, 4 writers started together (events per second from the moment all
//    are running to the last event queryable): the collector's pace no longer bounds it.
//    Reference in the same run: the embedded collector (local write-ahead log, no NATS).
// 2. The four services (one process each on JetStream) side by side with the same chain built as
//    the use case's seed describes it: FastAPI services calling each other over HTTP
//    (bench/py/stream_fastapi.py, Debian's python3-fastapi, uvicorn, scikit-learn): records per
//    second through generator -> normalizer -> trainer, and prediction round trips (p50, p99) at
//    the same consumer rate.
// Options (env): BENCH_EVENTS (default 100000), BENCH_SECONDS (services, default 15).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { PYTHON, report } from './lib.ts';
import { startProcess } from './wrk.ts';
import { startNatsCluster } from '../test/nats-cluster.ts';
import { openMetaStore, type MetaStore } from '../src/metadata/db.ts';
import { Catalog } from '../src/lake/catalog.ts';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'tributary.js');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const BATCH = 1000;
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]! : NaN;
};

const pgOk = await (async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try { await c.connect(); await c.end(); return true; } catch { return false; }
})();
const schemas: string[] = [];
function freshDatabaseUrl(): string | undefined {
  if (!pgOk) return undefined;
  const s = `bench_stream_${process.pid}_${schemas.length}`;
  schemas.push(s);
  return `${PG_URL}?schema=${s}`;
}

console.error('starting a three-node NATS JetStream cluster on loopback ports');
const cluster = await startNatsCluster();
let runSeq = 0;

function batchBody(run: number, b: number, n = BATCH): string {
  let s = '';
  for (let i = 0; i < n; i++) s += JSON.stringify({
    event_id: `r${run}-b${b}-${i}`,
    type: 'play',
    ts: '2026-11-23T10:00:00Z',
    user_id: `u${i % 500}`,
    track_id: `t${i % 3000}`,
    ms_played: 1000 + i,
  }) +
    '\n';
  return s;
}

async function rows(catalog: Catalog): Promise<number> {
  return (await catalog.tables()).find((t) => t.table === 'raw.play')?.rows ?? 0;
}

async function ingestRun(label: string, writers: number, nats: boolean): Promise<Record<string, unknown>> {
  const run = runSeq++;
  const home = mkdtempSync(join(tmpdir(), 'bench-stream-'));
  const databaseUrl = freshDatabaseUrl();
  const env = {
    TRIBUTARY_HOME: home,
    LOG_LEVEL: 'error',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(nats ? { NATS_URL: cluster.url } : { NATS_URL: '' }),
  };
  const procs = [await startProcess(process.execPath, [bin, 'serve', '--port', '0'], /listening on (http:\/\/\S+)/, { env })];
  const url = procs[0]!.match[1]!;
  for (let i = 0; i < writers; i++) procs.push(await startProcess(process.execPath, [bin, 'lake', 'writer'], /running;.* at (http:\/\/\S+)/, { env }));
  const store: MetaStore = await openMetaStore({ home, databaseUrl });
  const catalog = new Catalog(store);
  try {
    const bodies = Array.from({ length: EVENTS / BATCH }, (_, b) => batchBody(run, b));
    const post = async (body: string) => {
      const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      if (res.status !== 200) throw new Error(`collector answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => { while (next < bodies.length) await post(bodies[next++]!); }));
    const acked = performance.now();
    // the embedded collector commits a write-ahead segment when it seals (every 5 s)
    while ((await rows(catalog)) < EVENTS) await sleep(20);
    const done = performance.now();
    // latency probes: one batch of 100 at a time, from POST to queryable (committed in the catalog)
    const lat: number[] = [];
    const probes = nats ? 30 : 3;
    for (let p = 0; p < probes; p++) {
      const before = await rows(catalog);
      const t = performance.now();
      await post(batchBody(run, 1_000_000 + p, 100));
      while ((await rows(catalog)) < before + 100) await sleep(2);
      lat.push(performance.now() - t);
    }
    let drain = '';
    if (nats) {
      // the writers alone: stop them, store a backlog, start them together and time the drain
      for (const p of procs.splice(1).reverse()) await p.stop();
      const base = await rows(catalog);
      next = 0;
      const backlog = Array.from({ length: EVENTS / BATCH }, (_, b) => batchBody(run, 2_000_000 + b));
      await Promise.all(Array.from({ length: 8 }, async () => { while (next < backlog.length) await post(backlog[next++]!); }));
      procs.push(...await Promise.all(Array.from({ length: writers }, () => startProcess(process.execPath, [bin, 'lake', 'writer'], /running;.* at (http:\/\/\S+)/, { env }))));
      const d0 = performance.now();
      const from = await rows(catalog);
      while ((await rows(catalog)) < base + EVENTS) await sleep(20);
      drain = String(Math.round((base + EVENTS - from) / ((performance.now() - d0) / 1000)));
    }
    return {
      name: label, writers, events: EVENTS,
      acked_per_s: Math.round(EVENTS / ((acked - t0) / 1000)),
      queryable_per_s: Math.round(EVENTS / ((done - t0) / 1000)),
      backlog_drained_per_s: drain,
      p50_ms: +pct(lat, 0.5).toFixed(1), p99_ms: +pct(lat, 0.99).toFixed(1), probes,
    };
  } finally {
    await store.close();
    for (const p of procs.reverse()) await p.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

async function servicesRun(label: string, generatorRate: number, consumerRate: number): Promise<Record<string, unknown>> {
  const home = mkdtempSync(join(tmpdir(), 'bench-stream-svc-'));
  const ns = `bench${process.pid}`;
  const env = { TRIBUTARY_HOME: home, LOG_LEVEL: 'error', NATS_URL: cluster.url, STREAM_NAMESPACE: ns, TRAINER_WINDOW: '2000', TRAINER_EVERY: '500' };
  const procs: Awaited<ReturnType<typeof startProcess>>[] = [];
  const urls: Record<string, string> = {};
  try {
    for (const [name, args] of [
      ['trainer', []],
      ['normalizer', []],
      ['consumer', ['--rate', String(consumerRate)]],
      ['generator', ['--rate', String(generatorRate)]],
    ] as const) {
      const p = await startProcess(process.execPath, [bin, 'stream', name, ...args], /running;.* at (http:\/\/\S+)/, { env });
      procs.push(p);
      urls[name] = p.match[1]!;
    }
    const status = async (n: string) => (await (await fetch(`${urls[n]}/v1/status`)).json()) as {
      records: number;
      errors: number;
      latency_ms: { p50: number; p99: number };
    };
    await sleep(3000); // warm-up: first model, JIT
    const before = Object.fromEntries(await Promise.all(Object.keys(urls).map(async (n) => [n, (await status(n)).records] as const)));
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const s = performance.now() - t0;
    const after = Object.fromEntries(await Promise.all(Object.keys(urls).map(async (n) => [n, await status(n)] as const)));
    const per = (n: string) => Math.round((after[n]!.records - before[n]!) / (s / 1000));
    return {
      name: label, generated_per_s: per('generator'), normalized_per_s: per('normalizer'),
      predictions_per_s: per('consumer'), predict_p50_ms: after.consumer!.latency_ms.p50, predict_p99_ms: after.consumer!.latency_ms.p99,
      failed: after.consumer!.errors,
    };
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

try {
  const ingest: Record<string, unknown>[] = [];
  console.error('ingest: embedded collector (write-ahead log, no NATS)');
  ingest.push(await ingestRun('embedded collector (reference)', 0, false));
  for (const w of [1, 2, 4]) {
    console.error(`ingest: collector -> JetStream R3 -> ${w} lake writer(s)`);
    ingest.push(await ingestRun(`JetStream, ${w} writer${w > 1 ? 's' : ''}`, w, true));
  }
  const ref = ingest[0]!.queryable_per_s as number;
  for (const r of ingest) r.vs_embedded = `${((r.queryable_per_s as number) / ref).toFixed(2)}x`;
  const oneWriter = Number(ingest[1]!.backlog_drained_per_s);
  for (const r of ingest.slice(1)) r.drain_vs_1_writer = `${(Number(r.backlog_drained_per_s) / oneWriter).toFixed(2)}x`;
  report('stream: ingest collector -> JetStream -> lake', ingest as { name: string }[]);

  const rate = 50;
  console.error(`services: FastAPI chain (anchor), ${SECONDS} s`);
  const a = spawnSync(PYTHON, [join(here, 'py', 'stream_fastapi.py'), String(SECONDS + 3), String(rate)], { encoding: 'utf8' });
  if (a.status !== 0) throw new Error(`anchor failed: ${a.stderr}`);
  const anchor = JSON.parse(a.stdout.trim().split('\n').at(-1)!);
  console.error(`services: ours, ${SECONDS} s`);
  // the same offered load as the anchor's chain sustained (its generator waits for each answer)
  const matched = Math.max(20, Math.round(anchor.generated_per_s));
  const ours = await servicesRun(`ours at the anchor's rate (${matched}/s): 4 processes, JetStream R3`, matched, rate);
  console.error(`services: ours flat out, ${SECONDS} s`);
  const flat = await servicesRun('ours flat out (generator asked for 5,000/s)', 5000, rate);
  report('stream: four services vs FastAPI chain', [
    {
      name: 'anchor: FastAPI services over HTTP',
      generated_per_s: Math.round(anchor.generated_per_s),
      normalized_per_s: Math.round(anchor.normalized_per_s),
      predictions_per_s: Math.round(anchor.answered / anchor.seconds),
      predict_p50_ms: +anchor.predict_p50_ms.toFixed(2),
      predict_p99_ms: +anchor.predict_p99_ms.toFixed(2),
      failed: anchor.failed,
    },
    ours as { name: string },
    flat as { name: string },
    {
      name: 'ratio (throughput: flat out / anchor; latency at the same rate: anchor / ours)',
      normalized_per_s: `${((flat.normalized_per_s as number) / anchor.normalized_per_s).toFixed(2)}x`,
      predict_p50_ms: `${(anchor.predict_p50_ms / (ours.predict_p50_ms as number)).toFixed(2)}x`,
      predict_p99_ms: `${(anchor.predict_p99_ms / (ours.predict_p99_ms as number)).toFixed(2)}x`,
    },
  ]);
} finally {
  await cluster.stop();
  if (schemas.length) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try { for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`); } finally { await c.end(); }
  }
}
