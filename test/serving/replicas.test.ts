// Scale-out serving: two API replicas share one PostgreSQL registry and one NATS cluster. A
// promotion made elsewhere is announced on the bus and both replicas serve the new version
// (well before their registry poll would have noticed), while clients keep asking both of them:
// no request fails during the swap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JetStreamBus } from '../../src/bus/index.ts';
import { announcePromotion } from '../../src/bus/promotions.ts';
import { reportStatus } from '../../src/bus/service-status.ts';
import { openMetaStore } from '../../src/metadata/db.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { startServer, type RunningServer } from '../../src/serving/server.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { postgresReachable, PG_URL } from '../tracking/backends.ts';
import { testNats } from '../nats-cluster.ts';
import { tinyPipeline } from './fixtures.ts';
import pg from 'pg';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a promotion reaches two API replicas over the bus, and no request fails during the swap', { timeout: 120_000 }, async (t) => {
  if (!(await postgresReachable())) return t.skip('PostgreSQL is not reachable on 127.0.0.1:5432 (TEST_DATABASE_URL)');
  const nats = await testNats();
  if (!nats) return t.skip('nats-server is not installed (apt-get install nats-server) and TEST_NATS_URL is not set');
  const schema = `replicas_${process.pid}_${Date.now().toString(36)}`;
  const databaseUrl = `${PG_URL}?schema=${schema}`;
  const homes = [tmpHome(), tmpHome(), tmpHome()];
  const servers: RunningServer[] = [];
  let bus: JetStreamBus | undefined;
  const store = await openMetaStore({ home: homes[2]!.home, databaseUrl });
  try {
    // the registry's artifacts live on storage every replica mounts: one home for the registry
    const registryHome = homes[2]!.home;
    const registry = new ModelRegistry(store, { home: registryHome });
    await registry.registerModel('income', { artifact: tinyPipeline(2).toJSON() });
    await registry.promote('income', 1);
    // polling every minute: only the notice can make the swap quick
    for (let i = 0; i < 2; i++) {
      servers.push(await startServer(testConfig(registryHome, { databaseUrl, natsUrl: nats.url }), { pollMs: 60_000 }));
    }
    const ask = async (s: RunningServer) => {
      const res = await fetch(`${s.url}/v1/predict/income`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [{ x: 10, colour: 'blue' }] }),
      });
      const body = await res.json() as { predictions: number[]; version: number };
      return { status: res.status, version: body.version, value: Math.round(body.predictions?.[0] ?? NaN) };
    };
    for (const s of servers) assert.deepEqual(await ask(s), { status: 200, version: 1, value: 20 });

    let stop = false;
    const failures: string[] = [];
    let requests = 0;
    const lastVersion = [1, 1];
    const clients = [0, 1, 2, 3].map(async (c) => {
      while (!stop) {
        const i = c % 2;
        try {
          const r = await ask(servers[i]!);
          requests++;
          if (r.status !== 200) failures.push(`replica ${i}: HTTP ${r.status}`);
          else if (r.value !== (r.version === 1 ? 20 : 30)) failures.push(`replica ${i}: v${r.version} answered ${r.value}`);
          else lastVersion[i] = Math.max(lastVersion[i]!, r.version);
        } catch (e) { failures.push(`replica ${i}: ${(e as Error).message}`); }
      }
    });
    await sleep(300);
    await registry.registerModel('income', { artifact: tinyPipeline(3).toJSON() });
    bus = await JetStreamBus.connect({ url: nats.url });
    const promotedAt = Date.now();
    await registry.promote('income', 2, { by: 'test', reason: 'better' });
    await announcePromotion(bus, { name: 'income', alias: 'champion', version: 2 });
    while (lastVersion.some((v) => v !== 2)) {
      assert.ok(Date.now() - promotedAt < 30_000, 'the replicas did not swap within 30 s (their poll is 60 s)');
      await sleep(5);
    }
    const swapMs = Date.now() - promotedAt;
    await sleep(300);
    stop = true;
    await Promise.all(clients);
    assert.deepEqual(failures, [], 'no request failed during the swap');
    for (const s of servers) assert.deepEqual(await ask(s), { status: 200, version: 2, value: 30 });
    // what background services report on the bus is served to the dashboard
    const reporting = reportStatus(bus, () => ({ service: 'stream-normalizer', pid: 4242, url: 'http://127.0.0.1:9', records: 17, rate_per_s: 3.4 }), 200);
    let listed: { service: string; records: number }[] = [];
    for (let i = 0; i < 100 && !listed.some((x) => x.service === 'stream-normalizer'); i++) {
      await sleep(50);
      listed = (await (await fetch(`${servers[1]!.url}/v1/streaming/services`)).json() as { services: typeof listed }).services;
    }
    reporting.stop();
    assert.equal(listed.find((x) => x.service === 'stream-normalizer')?.records, 17);
    t.diagnostic(`${requests} requests across the swap, 0 failed; both replicas served v2 ${swapMs} ms after the promotion`);
  } finally {
    for (const s of servers) await s.close();
    await bus?.close();
    await store.close();
    await nats.stop();
    for (const h of homes) h.cleanup();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
  }
});
