// The streaming use case's services on a real JetStream cluster: the normalizer restarted
// mid-stream continues its running mean and variance from the saved state (equal to one pass over
// every record), and the four services together fill the lake and answer predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { JetStreamBus, encodeJson, type Bus } from '../../src/bus/index.ts';
import { openMetaStore } from '../../src/metadata/db.ts';
import { Lake } from '../../src/lake/lake.ts';
import { eventLakeSchemas } from '../../src/events/lake-schema.ts';
import { peopleStream } from '../../src/events/generators/people.ts';
import { streamLakeSchemas } from '../../src/analytics/stream/records.ts';
import { ensurePeopleStream, startNormalizer, subjects, type StreamEnv } from '../../src/pipeline/stream/services.ts';
import { runStreamInProcess } from '../../src/pipeline/stream/run.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { testNats } from '../nats-cluster.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) { if (Date.now() > until) throw new Error(`timed out waiting for ${what}`); await sleep(20); }
}

async function openEnv(home: string, bus: Bus, ns: string): Promise<{ env: StreamEnv; close(): Promise<void> }> {
  const store = await openMetaStore({ home });
  const lake = await Lake.open({ home, store, schemas: { ...eventLakeSchemas(), ...streamLakeSchemas() } });
  return { env: { bus, sink: lake, store, home, ns, log: () => {} }, async close() { await lake.close(); await store.close(); } };
}

test('the normalizer restarted mid-stream continues from its saved state: mean and variance equal one pass over all records', {
  timeout: 120_000,
}, async (t) => {
  const nats = await testNats();
  if (!nats) return t.skip('nats-server is not installed (apt-get install nats-server) and TEST_NATS_URL is not set');
  const { home, cleanup } = tmpHome();
  const ns = `t${randomBytes(4).toString('hex')}`;
  const bus = await JetStreamBus.connect({ url: nats.url });
  try {
    await ensurePeopleStream({ bus, ns });
    const people = peopleStream({ seed: 5 });
    const all: { age: number; income: number }[] = [];
    const publish = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const p = people.next().value!;
        all.push({ age: p.age, income: p.income });
        await bus.publish(subjects(ns).raw, encodeJson(p));
      }
    };
    await publish(700);
    // first life of the normalizer: takes the first 700 records, then stops (a deploy, a crash)
    let opened = await openEnv(home, bus, ns);
    const first = await startNormalizer(opened.env, new Registry());
    await waitFor(() => first.normalizer.count === 700, 'the first 700 records');
    await first.stop();
    await opened.close();

    await publish(900);
    // second life: a new normalizer object, state only from the metadata database
    opened = await openEnv(home, bus, ns);
    const second = await startNormalizer(opened.env, new Registry());
    const restoredCount = second.normalizer.count;
    await waitFor(() => second.normalizer.count === 1600, 'all 1600 records');
    const mean = second.normalizer.mean, variance = second.normalizer.variance;
    await second.stop();
    await opened.close();
    assert.ok(restoredCount >= 700, `restored from the saved state (count ${restoredCount}), not from zero`);

    // one pass over every record, the textbook way (two-pass mean then variance, ddof 0)
    for (const [j, key] of (['age', 'income'] as const).entries()) {
      const xs = all.map((r) => r[key]);
      const m = xs.reduce((a, x) => a + x, 0) / xs.length;
      const v = xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length;
      assert.ok(Math.abs(mean[j]! - m) <= 1e-9 * Math.abs(m), `${key} mean ${mean[j]} vs one pass ${m}`);
      assert.ok(Math.abs(variance[j]! - v) <= 1e-9 * v, `${key} variance ${variance[j]} vs one pass ${v}`);
    }
  } finally {
    await bus.deleteStream(subjects(ns).stream);
    await bus.close();
    await nats.stop();
    cleanup();
  }
});

test('the four services in one process: records flow raw -> normalized -> trainer, models are registered, answers come ' +
  'back and every record lands in the lake', { timeout: 120_000 }, async () => {
  const { home, cleanup } = tmpHome();
  try {
    const config = testConfig(home);
    const run = await runStreamInProcess(config, { generatorRate: 400, consumerRate: 40, window: 300, every: 200, intervalS: 2 });
    const byName = Object.fromEntries(run.services.map((s) => [s.service.name, s]));
    await waitFor(() => byName.consumer!.service.stats.records >= 40, '40 answered predictions');
    for (const s of run.services) {
      const status = await (await fetch(`${s.url}/v1/status`)).json() as { records: number };
      assert.ok(status.records > 0, `${s.service.name} handled records`);
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
      assert.match(await (await fetch(`${s.url}/metrics`)).text(), /tributary_stream_records_total\{service="stream-/);
    }
    const answer = await (await fetch(`${byName.trainer!.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ age: 45 }] }),
    })).json() as { predictions: number[]; version: number };
    assert.ok(answer.predictions[0]! > 0 && answer.version >= 1);
    const bad = await fetch(`${byName.trainer!.url}/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ age: 'old' }] }),
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json() as { message: string }).message, /rows\.0\.age/);
    await run.close();

    const ws = await openWorkspace({ config, log: () => {} });
    try {
      const count = async (sql: string) => Number((await ws.lake.conn.runAndReadAll(sql)).getRows()[0]![0]);
      const files = async (t: string) => (await ws.lake.filePaths(t)).map((f) => `'${f}'`).join(',');
      const raw = await count(`SELECT count(*) FROM read_parquet([${await files('raw.person')}])`);
      const norm = await count(`SELECT count(*) FROM read_parquet([${await files('curated.person_normalized')}])`);
      const preds = await count(`SELECT count(*) FROM read_parquet([${await files('inference.stream_predictions')}]) WHERE status = 'ok'`);
      assert.ok(raw > 0 && norm > 0 && preds >= 40, `lake: ${raw} raw, ${norm} normalized, ${preds} predictions`);
      assert.ok(norm <= raw);
      const versions = await ws.store.db.selectFrom('model_versions').select('version').where('model_name', '=', 'stream-income').execute();
      assert.ok(versions.length >= 1, 'the trainer registered versions');
    } finally { await ws.close(); }
  } finally { cleanup(); }
});

