// Scale-out ingest under failure: a real three-node JetStream cluster on loopback ports, two
// collector processes publishing accepted batches to the replicated ingest stream, three lake
// writer processes taking them as a work queue into one lake (PostgreSQL catalog). Mid-stream one
// NATS node and one lake writer are SIGKILLed. Every acknowledged event must be in the lake, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JetStreamBus } from '../../src/bus/index.ts';
import { INGEST_STREAM, LAKE_WRITERS } from '../../src/lake/bus-ingest.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { postgresReachable, PG_URL } from '../tracking/backends.ts';
import { NATS_SERVER, startNatsCluster } from '../nats-cluster.ts';
import { assertEachAckedOnce, postPlays } from '../fixtures/collector.ts';
import { inWorkspace } from '../fixtures/files.ts';
import { startTributary, type Started } from '../fixtures/processes.ts';
import pg from 'pg';
import { connect } from 'nats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lake writers' durable consumer as the stream leader sees it (for a stall's message). */
async function consumerState(url: string): Promise<string> {
  const nc = await connect({ servers: url });
  try {
    const ci = await (await nc.jetstreamManager()).consumers.info(INGEST_STREAM, LAKE_WRITERS);
    return JSON.stringify({
      pending: ci.num_pending,
      ackPending: ci.num_ack_pending,
      redelivered: ci.num_redelivered,
      waiting: ci.num_waiting,
      leader: ci.cluster?.leader,
    });
  } catch (e) { return `unavailable (${(e as Error).message})`; } finally { await nc.close(); }
}

test('collectors -> 3-node JetStream -> lake writers: a NATS node and a writer SIGKILLed mid-stream, every acknowledged event in the lake exactly once', {
  timeout: 300_000,
}, async (t) => {
  if (!NATS_SERVER) return t.skip('nats-server is not installed (apt-get install nats-server; .ci/run does it)');
  const pgUp = await postgresReachable();
  const schema = `scaleout_${process.pid}_${Date.now().toString(36)}`;
  const databaseUrl = pgUp ? `${PG_URL}?schema=${schema}` : undefined;
  const { home, cleanup } = tmpHome();
  const cluster = await startNatsCluster();
  const procs: Started[] = [];
  try {
    const env: Record<string, string> = { TRIBUTARY_HOME: home, NATS_URL: cluster.url, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
    // the first collector creates the stream (R3) and the catalog's schema, then the rest start
    const collectors = [await startTributary(['serve', '--port', '0'], env, /listening on (http:\/\/\S+)/)];
    collectors.push(await startTributary(['serve', '--port', '0'], env, /listening on (http:\/\/\S+)/));
    const writers = await Promise.all([0, 1, 2].map(() => startTributary(['lake', 'writer', '--batch', '16'], env, /metrics at (http:\/\/\S+)/)));
    procs.push(...collectors, ...writers);

    const acked = new Set<string>();
    let stop = false;
    let failedBatches = 0;
    const client = async (c: number) => {
      for (let b = 0; !stop; b++) {
        const ids = Array.from({ length: 100 }, (_, i) => `c${c}-b${b}-${i}`);
        try {
          const res = await postPlays(collectors[(c + b) % collectors.length]!.url, ids, { user: `u${c}`, signal: AbortSignal.timeout(30_000) });
          if (res.status === 200) {
            const r = await res.json() as { accepted: number };
            assert.equal(r.accepted, ids.length);
            for (const id of ids) acked.add(id);
          } else { failedBatches++; await res.arrayBuffer(); }
        } catch { failedBatches++; }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    while (acked.size < 20_000) await sleep(10);
    // mid-stream: a NATS node and a lake writer die without a chance to clean up
    cluster.kill(1, 'SIGKILL');
    writers[0]!.proc.kill('SIGKILL');
    const ackedAtKill = acked.size;
    while (acked.size < ackedAtKill + 20_000) await sleep(10);
    stop = true;
    await Promise.all(clients);
    await writers[0]!.exited;

    // the surviving writers drain the work queue
    const bus = await JetStreamBus.connect({ url: [cluster.urls[0], cluster.urls[2]].join(',') });
    try {
      // no deadline on the whole drain (a loaded machine is slow): only on a stall, where the
      // stream has not shrunk for 90 s; then the consumer's state and the writers' output say why
      let left = await bus.streamMessages(INGEST_STREAM);
      let progressAt = Date.now();
      while (left > 0) {
        await sleep(200);
        const now = await bus.streamMessages(INGEST_STREAM);
        if (now < left) progressAt = Date.now();
        left = now;
        if (Date.now() - progressAt > 90_000) {
          const state = await consumerState(cluster.urls[0]!);
          const stats = await Promise.all(writers.slice(1).map((w) => fetch(`${w.url}/v1/status`).then((r) => r.text(), (e: Error) => e.message)));
          assert.fail(`the lake writers stalled: ${left} messages left in the stream, none taken for 90 s\n`
            + `consumer: ${state}\n${writers.slice(1).map((w, i) => `writer ${i + 1}: ${stats[i]}\n${w.output().slice(-2000)}`).join('\n')}`);
        }
      }
    } finally { await bus.close(); }
    await sleep(500); // the last commit's acks precede nothing else; give its process a moment

    await inWorkspace(testConfig(home, { databaseUrl }), async (ws) => {
      const inLake = await assertEachAckedOnce(ws, acked);
      t.diagnostic(`acknowledged ${acked.size} events (${failedBatches} batches refused or timed out during the ` +
        `failover); lake holds ${inLake.size}, each once`);
    });
  } finally {
    for (const p of procs) p.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => Promise.race([p.exited, sleep(5000)])));
    for (const p of procs) p.proc.kill('SIGKILL');
    await cluster.stop();
    cleanup();
    if (pgUp) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
    }
  }
});
