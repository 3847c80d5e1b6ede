// The retail endpoints over real HTTP, on models the retail pipeline trained and registered on a
// small generated world: spend by customer id (online features) or raw features, segments with
// the most similar customers, and the online features following a new snapshot of the sales.
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRetail, COMMERCE_MODELS } from '../../src/pipeline/retail.ts';
import { startServer } from '../../src/serving/server.ts';
import { buildModels } from '../../src/warehouse/models.ts';
import { Warehouse } from '../../src/warehouse/session.ts';
import { sourceSchemas } from '../../src/warehouse/sources.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { checkContract } from './contract.ts';

const json = (b: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });

test('retail endpoints', async (t) => {
  const { home, cleanup } = tmpHome();
  const config = testConfig(home);
  const ws = await openWorkspace({ config });
  try {
    await runRetail(ws, { world: { customers: 120, months: 12 }, kRange: [3, 4] });
  } finally {
    await ws.close();
  }
  const server = await startServer(config, { featureRefreshMs: 60_000 });
  t.after(async () => { await server.close(); cleanup(); });
  const post = (path: string, body: unknown) => fetch(`${server.url}${path}`, json(body));
  assert.ok(server.routes.includes('POST /v1/predict/spend') && server.routes.includes('POST /v1/segment'), server.routes.join(', '));
  assert.ok(server.ctx.features!.features, `online features: ${server.ctx.features!.error}`);
  const fs = server.ctx.features!.features!;
  const ids = [...fs.rows.keys()];

  await t.test('the contract holds for the retail routes: each documented answer matches its schema', async () => {
    const r = await checkContract(server.url);
    for (const route of ['POST /v1/predict/spend', 'POST /v1/segment', 'POST /v1/predict/retail-spend']) {
      assert.ok(r.calls.some((c) => c.startsWith(route)), r.calls.join('\n'));
    }
  });

  await t.test('spend by customer id, one or a batch, from the online features', async () => {
    const one = await post('/v1/predict/spend', { customer_id: ids[0] });
    assert.equal(one.status, 200);
    const b = await one.json() as {
      model: string;
      version: number;
      horizon_days: number;
      features_snapshot: string;
      predictions: { customer_id: string; spend: number }[];
    };
    assert.equal(b.model, 'retail-spend');
    assert.equal(b.version, 1);
    assert.equal(b.horizon_days, 90);
    assert.match(b.features_snapshot, /^curated\.commerce_lines@\d+$/);
    assert.equal(b.predictions[0]!.customer_id, ids[0]);
    assert.ok(b.predictions[0]!.spend >= 0);
    const batch = await (await post('/v1/predict/spend', { customer_ids: ids.slice(0, 5) })).json() as typeof b;
    assert.deepEqual(batch.predictions.map((p) => p.customer_id), ids.slice(0, 5));
    assert.equal(batch.predictions[0]!.spend, b.predictions[0]!.spend);
  });

  await t.test('spend from raw features gives what the same features give by id', async () => {
    const s = server.ctx.models!.get('retail-spend')!;
    assert.equal(s.type, 'spend');
    const names = (s as { features: string[] }).features;
    const x = fs.rows.get(ids[1]!)!;
    const features = Object.fromEntries(names.map((n, j) => [n, x[j]!]));
    const byFeatures = await (await post('/v1/predict/spend', { features })).json() as { predictions: { spend: number }[] };
    const byId = await (await post('/v1/predict/spend', { customer_id: ids[1] })).json() as { predictions: { spend: number }[] };
    assert.equal(byFeatures.predictions[0]!.spend, byId.predictions[0]!.spend);
    const rows = await (await post('/v1/predict/spend', { rows: [features, features] })).json() as { predictions: { spend: number }[] };
    assert.equal(rows.predictions.length, 2);
    // the generic endpoint answers the same model
    const generic = await (await post('/v1/predict/retail-spend', { rows: [features] })).json() as { predictions: number[] };
    assert.equal(generic.predictions[0], byId.predictions[0]!.spend);
  });

  await t.test('spend errors: 404 unknown id, 400 naming the field', async () => {
    const unknown = await post('/v1/predict/spend', { customer_ids: [ids[0], 'no-such-customer'] });
    assert.equal(unknown.status, 404);
    assert.equal((await unknown.json() as { field: string }).field, 'customer_ids[1]');
    const missing = await (await post('/v1/predict/spend', { features: { recency_days: 3 } })).json() as { field: string };
    assert.equal(missing.field, 'features.frequency');
    const two = await post('/v1/predict/spend', { customer_id: ids[0], features: {} });
    assert.equal(two.status, 400);
    const wrong = await post('/v1/predict/spend', { customer_id: 42 });
    assert.equal(wrong.status, 400);
    assert.match((await wrong.json() as { message: string }).message, /customer_id/);
  });

  await t.test('segment of a known customer and of a profile, with the k most similar customers', async () => {
    const res = await post('/v1/segment', { customer_id: ids[2], k: 3 });
    assert.equal(res.status, 200);
    const b = await res.json() as {
      model: string;
      version: number;
      results: { customer_id: string; segment: number; name: string; similar: { customer_id: string; distance: number }[] }[];
    };
    assert.equal(b.model, 'retail-segments');
    const r = b.results[0]!;
    assert.equal(r.customer_id, ids[2]);
    assert.ok(r.name.length > 0);
    assert.equal(r.similar.length, 3);
    assert.ok(r.similar.every((s) => s.customer_id !== ids[2]), 'a customer is not its own neighbour');
    assert.ok(r.similar[0]!.distance <= r.similar[2]!.distance);
    const p = await (await post(
      '/v1/segment',
      { profiles: [{ recency: 5, frequency: 12, monetary: 4000 }, { recency: 300, frequency: 1, monetary: 20 }] },
    )).json() as typeof b;
    assert.equal(p.results.length, 2);
    assert.equal(p.results[0]!.similar.length, 5, 'k defaults to 5');
    assert.notEqual(p.results[0]!.name, p.results[1]!.name, 'a big recent buyer and a lapsed one-off buyer differ');
    assert.equal((await post('/v1/segment', { customer_id: 'nobody' })).status, 404);
    const badMix = await post('/v1/segment', { profile: { recency: 1, frequency: 1, monetary: 1, mix: { 'no-such-category': 0.5 } } });
    assert.equal(badMix.status, 400);
    assert.match((await badMix.json() as { message: string }).message, /profile.*no-such-category/);
    assert.equal((await post('/v1/segment', { profile: { recency: -1, frequency: 1, monetary: 1 } })).status, 400);
  });

  await t.test('fuzz: malformed spend and segment bodies each get a 4xx with a message', async () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
    const bad = ['"7"', 'true', '[]', '{}', 'null', '1e999', '-1', '-1e999', '"x"', '[1,2]', '{"a":{"b":[]}}', '1.5', '99999999999999999999999'];
    const bodies = [
      () => `{"customer_id":${pick(bad.filter((b) => !b.startsWith('"')))}}`,
      () => `{"customer_ids":${pick(['[]', '[1]', '[null]', '"x"', '{}', '[["a"]]', `[${'"x",'.repeat(10)}1]`])}}`,
      () => `{"features":${pick(['[]', '1', '"x"', '{"recency_days":"3"}', '{"recency_days":1e999}', '{"__proto__":{}}', '{"constructor":1}', '{}'])}}`,
      () => `{"rows":${pick(['[]', '[1]', '[[1]]', '[{"frequency":null}]', '{}'])}}`,
      () => `{"customer_id":"${ids[0]}","rows":[{}]}`,
      () => pick(['{}', '[]', '', '{', 'null', `{"customer_id":"${ids[0]}","extra":1}`]),
    ];
    const segBodies = [
      () => `{"profile":${pick([
        '{}', '[]', '1', '{"recency":1}', '{"recency":-1,"frequency":1,"monetary":1}', '{"recency":1,"frequency":1,"monetary":1e999}',
        '{"recency":1,"frequency":1,"monetary":1,"mix":{"x":2}}', '{"recency":1,"frequency":1,"monetary":1,"mix":[]}',
        '{"recency":"1","frequency":1,"monetary":1}',
      ])}}`,
      () => `{"customer_id":"${ids[0]}","k":${pick(['-1', '101', '1.5', '"3"', 'null', '1e999'])}}`,
      () => `{"profiles":${pick(['[]', '[{}]', '{}', '[null]'])}}`,
      () => `{"customer_id":"${ids[0]}","profile":{"recency":1,"frequency":1,"monetary":1}}`,
      () => pick(['{}', '{"k":3}', '[]', 'true']),
    ];
    const failures: string[] = [];
    for (let i = 0; i < 800; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async () => {
        const spend = rnd() < 0.5;
        const body = spend ? pick(bodies)() : pick(segBodies)();
        const path = spend ? '/v1/predict/spend' : '/v1/segment';
        const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await res.text();
        let msg = '';
        try { msg = (JSON.parse(text) as { message?: string }).message ?? ''; } catch { /* not JSON */ }
        if (res.status < 400 || res.status >= 500 || msg.length < 5) failures.push(`${path} ${body.slice(0, 100)} -> ${res.status} ${text.slice(0, 160)}`);
      }));
    }
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} bodies were not a 4xx with a message`);
    assert.equal((await post('/v1/predict/spend', { customer_id: ids[0] })).status, 200, 'still serving');
  });

  await t.test('the online features follow a new snapshot of the sales lines', async () => {
    assert.equal((await post('/v1/predict/spend', { customer_id: 'NEWCUST' })).status, 404);
    const wh = await Warehouse.open({ lake: server.ctx.lake, schemas: sourceSchemas() });
    try {
      const [line] = await wh.query<Record<string, unknown>>(`SELECT * EXCLUDE (event_id, customer_id, invoice_no, dt) ` +
        `FROM raw.order_line WHERE quantity > 0 AND unit_price > 0 LIMIT 1`);
      const event = { ...line, event_id: randomUUID(), customer_id: 'NEWCUST', invoice_no: '999999', ts: (line!.ts as Date).toISOString(), type: 'order_line' };
      for (const [k, v] of Object.entries(event)) if (v === null) delete (event as Record<string, unknown>)[k];
      const res = await post('/v1/events', [event]);
      assert.equal(res.status, 200, await res.text());
      await server.ctx.lake.flush();
      await wh.refresh();
      await buildModels(wh, { only: COMMERCE_MODELS });
    } finally {
      wh.close();
    }
    await server.ctx.features!.check();
    const res = await post('/v1/predict/spend', { customer_id: 'NEWCUST' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.notEqual(server.ctx.features!.features!.snapshot, fs.snapshot);
    // a customer newer than the segmentation is segmented from its online features
    const seg = await post('/v1/segment', { customer_id: 'NEWCUST' });
    assert.equal(seg.status, 200);
  });
});
