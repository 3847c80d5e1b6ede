// The collector over real HTTP: mixed batches, quarantine with reasons, clear 4xx errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../src/serving/server.ts';
import { Warehouse } from '../../src/warehouse/session.ts';
import { sourceSchemas } from '../../src/warehouse/sources.ts';
import { testConfig, tmpHome } from '../helpers.ts';

const play = (id: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  type: 'play',
  ts: '2026-11-23T10:00:00Z',
  user_id: 'u1',
  track_id: 't9',
  ms_played: 180000,
  duration_ms: 200000,
  ...extra,
});

test('collector', async (t) => {
  const { home, cleanup } = tmpHome();
  const server = await startServer(testConfig(home));
  t.after(async () => { await server.close(); cleanup(); });
  const post = (body: string, type = 'application/json', headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });

  await t.test('a mixed batch keeps the valid events, quarantines the rest and names each rejection', async () => {
    const batch = [
      play('ok-1'),
      play('bad-1', { ms_played: 'long' }),
      { event_id: 'ok-2', type: 'like', ts: '2026-11-23T10:01:00Z', user_id: 'u1', track_id: 't9' },
      { event_id: 'bad-2', type: 'dance', ts: '2026-11-23T10:01:00Z' },
      play('bad-3', { ts: 'yesterday' }),
      play('bad-4', { surprise: 1 }),
      { event_id: 'ok-3', type: 'search', ts: '2026-11-23T10:02:00+02:00', user_id: 'u2', query: 'jazz' },
    ];
    const res = await post(JSON.stringify(batch));
    assert.equal(res.status, 200);
    const body = await res.json() as { accepted: number; rejected: { index: number; field: string; message: string; event_id?: string }[] };
    assert.equal(body.accepted, 3);
    assert.deepEqual(body.rejected.map((r) => [r.index, r.event_id, r.field]), [
      [1, 'bad-1', 'ms_played'],
      [3, 'bad-2', 'type'],
      [4, 'bad-3', 'ts'],
      [5, 'bad-4', 'surprise'],
    ]);
    for (const r of body.rejected) assert.ok(r.message.length > 5, 'each rejection has a message');

    await server.ctx.lake.flush();
    const wh = await Warehouse.open({ lake: server.ctx.lake, schemas: sourceSchemas() });
    try {
      assert.deepEqual((await wh.query<{ event_id: string }>('SELECT event_id FROM raw.play')).map((r) => r.event_id), ['ok-1']);
      assert.equal((await wh.query('SELECT * FROM raw.like')).length, 1);
      const [s] = await wh.query<{ ts: Date }>('SELECT ts FROM raw.search');
      assert.equal(s!.ts.toISOString(), '2026-11-23T08:02:00.000Z', 'offsets are normalised to UTC');
      const q = await wh.query<{ event_id: string; field: string; reason: string; payload: string }>('SELECT event_id, ' +
        'field, reason, payload FROM quarantine.events ORDER BY batch_index');
      assert.deepEqual(q.map((r) => [r.event_id, r.field]), [['bad-1', 'ms_played'], ['bad-2', 'type'], ['bad-3', 'ts'], ['bad-4', 'surprise']]);
      assert.match(q[0]!.reason, /number/);
      assert.equal(JSON.parse(q[0]!.payload).ms_played, 'long', 'the original payload is kept');
    } finally { wh.close(); }
  });

  await t.test('NDJSON names the line of a malformed or invalid event', async () => {
    const res = await post(
      [JSON.stringify(play('n1')), '{"event_id": broken', JSON.stringify(play('n2', { ms_played: -5 }))].join('\n'),
      'application/x-ndjson',
    );
    assert.equal(res.status, 200);
    const body = await res.json() as any;
    assert.equal(body.accepted, 1);
    assert.deepEqual(body.rejected.map((r: any) => [r.line, r.field]), [[2, '(json)'], [3, 'ms_played']]);
  });

  await t.test('every event rejected is a 422', async () => {
    const res = await post(JSON.stringify([play('x', { user_id: '' })]));
    assert.equal(res.status, 422);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const body = await res.json() as any;
    // a problem with its own code, naming the field, and still the per-event list
    assert.equal(body.error, 'events_rejected');
    assert.equal(body.type, 'urn:tributary:problem:events_rejected');
    assert.equal(body.field, 'user_id');
    assert.match(body.detail, /user_id/);
    assert.equal(body.accepted, 0);
    assert.deepEqual(body.rejected.map((r: any) => [r.index, r.field]), [[0, 'user_id']]);
  });

  await t.test('malformed JSON is a 400 naming line and column', async () => {
    const res = await post('[\n  {"event_id": "a",\n  "type": }\n]');
    assert.equal(res.status, 400);
    const body = await res.json() as any;
    assert.equal(body.error, 'malformed_json');
    assert.equal(body.line, 3);
    assert.match(body.message, /line 3/);
  });

  await t.test('wrong content type is a 415, oversize a 413', async () => {
    assert.equal((await post('a,b\n1,2', 'text/csv')).status, 415);
    const big = await post(JSON.stringify(Array.from({ length: 10_001 }, (_, i) => play(`b${i}`))));
    assert.equal(big.status, 413);
    const huge = await post('[' + '"x",'.repeat(9_000_000) + '"x"]');
    assert.equal(huge.status, 413);
  });

  await t.test('OpenAPI 3.1 document and Swagger UI are served', async () => {
    const doc = await (await fetch(`${server.url}/openapi.json`)).json() as any;
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.paths['/v1/events'].post);
    const ui = await fetch(`${server.url}/docs/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
  });
});

test('with an API token, writes need it', async (t) => {
  const { home, cleanup } = tmpHome();
  const server = await startServer(testConfig(home, { apiToken: 'secret-token-123' }));
  t.after(async () => { await server.close(); cleanup(); });
  const body = JSON.stringify([play('tok-1')]);
  const no = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(no.status, 401);
  const yes = await fetch(`${server.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token-123' },
    body,
  });
  assert.equal(yes.status, 200);
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
});
