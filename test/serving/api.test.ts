// The prediction API over real HTTP (port 0): predictions with the champion's version, atomic
// swaps while requests flow, validation errors naming the field, a fuzz of malformed bodies,
// the OpenAPI document, metrics, the audit log, recommendations, and the bearer token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { openMetaStore } from '../../src/metadata/db.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { startServer, type RunningServer } from '../../src/serving/server.ts';
import { Warehouse } from '../../src/warehouse/session.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { playlistModel, tinyPipeline } from './fixtures.ts';

const SLOPES: Record<number, number> = { 1: 1, 2: 2, 3: 3 };

async function registerModels(home: string): Promise<void> {
  const store = await openMetaStore({ home });
  try {
    const reg = new ModelRegistry(store, { home });
    for (const v of [1, 2, 3]) await reg.registerModel('tiny', { artifact: tinyPipeline(SLOPES[v]!).toJSON() });
    await reg.registerModel('music-recommender', { artifact: (await playlistModel()).toJSON() });
  } finally {
    await store.close();
  }
}

/** Raw POST (bytes as given), for bodies fetch would re-encode. */
function rawPost(url: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = (b: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });

test('prediction API', async (t) => {
  const { home, cleanup } = tmpHome();
  await registerModels(home);
  const logs: string[] = [];
  const server: RunningServer = await startServer(testConfig(home), { pollMs: 50, log: (m) => logs.push(m) });
  t.after(async () => { await server.close(); cleanup(); });
  const predict = (body: unknown, model = 'tiny') => fetch(`${server.url}/v1/predict/${model}`, json(body));

  await t.test('start-up says it listens on 127.0.0.1 only without a token, and exposes its URLs', () => {
    assert.ok(logs.some((l) => /127\.0\.0\.1 only/.test(l)), logs.join('\n'));
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.urls.docs, `${server.url}/docs`);
    assert.equal(server.urls.openapi, `${server.url}/openapi.json`);
    assert.equal(server.urls.metrics, `${server.url}/metrics`);
  });

  await t.test('raw feature rows in, the champion\'s predictions and version out', async () => {
    const res = await predict({ rows: [{ x: 2, colour: 'red' }, { x: 10, colour: 'blue' }, { x: null, colour: null }] });
    assert.equal(res.status, 200);
    const b = await res.json() as { model: string; version: number; predictions: number[] };
    assert.equal(b.model, 'tiny');
    assert.equal(b.version, 1, 'the first version is the champion');
    assert.ok(Math.abs(b.predictions[0]! - 3) < 1e-6 && Math.abs(b.predictions[1]! - 10) < 1e-6, JSON.stringify(b));
    assert.equal(typeof b.predictions[2], 'number', 'missing values are imputed by the model');
  });

  await t.test('GET /v1/models lists each model with the version served and its inputs', async () => {
    const b = await (await fetch(`${server.url}/v1/models`)).json() as { models: {
      name: string;
      champion: number;
      serving: { version: number; inputs?: { name: string }[]; endpoints: string[] };
    }[]; };
    const tiny = b.models.find((m) => m.name === 'tiny')!;
    assert.equal(tiny.serving.version, tiny.champion);
    assert.deepEqual(tiny.serving.inputs!.map((f) => f.name).sort(), ['colour', 'x']);
    assert.deepEqual(b.models.find((m) => m.name === 'music-recommender')!.serving.endpoints, ['GET /v1/recommendations/{userId}']);
  });

  await t.test('invalid input: 400 naming the field, 404 unknown model, 413 oversize', async () => {
    const cases: [unknown, number, string][] = [
      [{ rows: [{ x: 1 }] }, 400, 'rows[0].colour'],
      [{ rows: [{ x: 'one', colour: 'red' }] }, 400, 'rows[0].x'],
      [{ rows: [{ x: 1, colour: 'red', y: 2 }] }, 400, 'rows[0].y'],
      [{ rows: [{ x: 1, colour: 7 }] }, 400, 'rows[0].colour'],
      [{ rows: [] }, 400, 'rows'],
      [{ rows: [{ x: 1, colour: 'red' }], extra: true }, 400, '(body)'],
      [{}, 400, 'rows'],
    ];
    for (const [body, status, field] of cases) {
      const res = await predict(body);
      const b = await res.json() as { field?: string; message: string };
      assert.equal(res.status, status, `${JSON.stringify(body)} -> ${JSON.stringify(b)}`);
      assert.ok(b.message.includes(field) || b.field === field, `${JSON.stringify(body)}: ${JSON.stringify(b)} should name ${field}`);
    }
    assert.equal((await predict({ rows: [{ x: 1, colour: 'red' }] }, 'nope')).status, 404);
    const big = await predict({ rows: Array.from({ length: 10_001 }, () => ({ x: 1, colour: 'red' })) });
    assert.equal(big.status, 413);
    assert.match((await big.json() as { message: string }).message, /rows/);
    const huge = await rawPost(`${server.url}/v1/predict/tiny`, Buffer.alloc(5 << 20, 0x20));
    assert.equal(huge.status, 413);
    assert.equal((await fetch(`${server.url}/v1/recommendations/u1?n=0`)).status, 400);
    assert.equal((await fetch(`${server.url}/v1/models/nope/promote`, json({ version: 1 }))).status, 404);
    assert.equal((await fetch(`${server.url}/v1/models/tiny/promote`, json({ version: 99 }))).status, 404);
    assert.equal((await fetch(`${server.url}/v1/models/tiny/promote`, json({ version: 'two' }))).status, 400);
  });

  await t.test('ten promotions under continuous requests: zero errors, every version was champion at that moment', async () => {
    // the timeline of champions: [from when the promotion was asked, until the next one answered]
    const promotions: { version: number; start: number; end: number }[] = [{ version: 1, start: -Infinity, end: -Infinity }];
    const responses: { start: number; end: number; version: number; prediction: number }[] = [];
    const errors: string[] = [];
    let done = false;
    const client = async () => {
      while (!done) {
        const start = performance.now();
        try {
          const res = await predict({ rows: [{ x: 2, colour: 'blue' }] });
          const b = await res.json() as { version: number; predictions: number[] };
          if (res.status !== 200) errors.push(`${res.status} ${JSON.stringify(b)}`);
          else responses.push({ start, end: performance.now(), version: b.version, prediction: b.predictions[0]! });
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    const order = [2, 3, 1, 3, 2, 1, 2, 3, 1, 2];
    for (const v of order) {
      await new Promise((r) => setTimeout(r, 30));
      const start = performance.now();
      const res = await fetch(`${server.url}/v1/models/tiny/promote`, json({ version: v, reason: 'test' }));
      const b = await res.json() as { to_version: number; serving_version: number };
      assert.equal(res.status, 200, JSON.stringify(b));
      assert.equal(b.serving_version, v, 'the new champion is served when the promotion answers');
      promotions.push({ version: v, start, end: performance.now() });
    }
    await new Promise((r) => setTimeout(r, 30));
    done = true;
    await Promise.all(clients);
    assert.deepEqual(errors, []);
    assert.ok(responses.length >= 50, `only ${responses.length} responses`);
    const seen = new Set<number>();
    for (const r of responses) {
      // champion possibly in force during [r.start, r.end]: promoted (asked) before the answer,
      // and not superseded by a promotion that had fully answered before the request was sent
      const ok = promotions.some((p, i) => p.start <= r.end && !(promotions[i + 1] && promotions[i + 1]!.end < r.start));
      const allowed = promotions.filter((p, i) => p.start <= r.end && !(promotions[i + 1] && promotions[i + 1]!.end < r.start)).map((p) => p.version);
      assert.ok(ok && allowed.includes(r.version), `response v${r.version} at [${r.start.toFixed(1)}, ${r.end.toFixed(1)}] but champions then were ${allowed}`);
      // the answer was computed by that version's model (no mix of old and new)
      assert.ok(Math.abs(r.prediction - 2 * SLOPES[r.version]!) < 1e-6, `v${r.version} answered ${r.prediction}`);
      seen.add(r.version);
    }
    assert.equal(seen.size, 3, 'requests were answered by every version');
  });

  await t.test('a promotion made elsewhere (CLI, another replica) is picked up by watching the registry', async () => {
    await server.ctx.registry!.promote('tiny', 3, { by: 'test' });
    const deadline = Date.now() + 10_000;
    let version = 0;
    while (Date.now() < deadline) {
      version = (await (await predict({ rows: [{ x: 1, colour: 'red' }] })).json() as { version: number }).version;
      if (version === 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(version, 3);
  });

  await t.test('fuzz: thousands of malformed bodies each get a 4xx with a message, and the server keeps serving', async () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
    const deep = (d: number, open: string, close: string, inner = '1') => open.repeat(d) + inner + close.repeat(d);
    const wrongValues = [
      '"7"',
      'true',
      '[]',
      '{}',
      '[1,2]',
      '{"a":1}',
      '1e999',
      '-1e999',
      '"x".repeat',
      'NaN',
      'Infinity',
      '99999999999999999999999999999999999999e400',
      deep(5000, '[', ']'),
      deep(3000, '{"a":', '}'),
    ];
    const gens: (() => Buffer)[] = [
      () => Buffer.from(pick(['', ' ', 'null', 'true', '1', '"rows"', '[]', '[{"x":1}]', '{', '{"rows":', '{"rows":[{"x":1,', '}{', '\u0000'])),
      () => Buffer.from(`{"rows":${pick(['null', '1', '"a"', '{}', 'true', '[null]', '[1]', '["x"]', '[[]]', '[]', deep(20000, '[', ']')])}}`),
      () => Buffer.from(`{"rows":[{"x":${pick(wrongValues)},"colour":"red"}]}`),
      () => Buffer.from(`{"rows":[{"x":1,"colour":${pick(wrongValues.filter((v) => !v.startsWith('"')))}}]}`),
      () => Buffer.from(`{"rows":[{${pick(['', '"x":1', '"colour":"red"', '"x":1,"colour":"red","z":0', '"":1', '"__proto__":{"x":1}'])}}]}`),
      () => Buffer.from(`{"rows":[{"x":1,"colour":"red"}],"${pick(['extra', 'rows2', 'constructor'])}":1}`),
      () => Buffer.from(`{"rowz":[{"x":1,"colour":"red"}]}`),
      () => Buffer.concat([
        Buffer.from('{"rows":[{"x":1,"colour":"'),
        Buffer.from(pick([[0xff, 0x41], [0xc3, 0x28], [0xe2, 0x28, 0xa1], [0x80, 0x41], [0xfe, 0xfe], [0xed, 0xa0, 0x80], [0xf0, 0x28, 0x8c, 0x28], [0xc3]])),
        Buffer.from('"}]}'),
      ]),
      () => Buffer.concat([Buffer.from('{"ro'), Buffer.from([0xc0, 0xaf]), Buffer.from('ws":[]}')]),
      () => Buffer.from(deep(Math.floor(rnd() * 50000), pick(['[', '{"a":']), pick([']', '}']))),
      () => Buffer.from(`{"rows":[{"x":1,"colour":"${'x'.repeat(2000)}"}]}`),
    ];
    const N = 3000;
    const failures: string[] = [];
    for (let i = 0; i < N; i += 25) {
      await Promise.all(Array.from({ length: 25 }, async () => {
        const body = pick(gens)();
        const target = rnd() < 0.85 ? '/v1/predict/tiny' : pick(['/v1/models/tiny/promote', '/v1/predict/music-recommender', '/v1/predict/nope']);
        const r = await rawPost(`${server.url}${target}`, body);
        let msg = '';
        try { msg = (JSON.parse(r.text) as { message?: string }).message ?? ''; } catch { /* not JSON */ }
        if (r.status < 400 || r.status >= 500 || msg.length < 5) {
          failures.push(`${target} ${body.subarray(0, 80).toString('latin1')} -> ${r.status} ${r.text.slice(0, 200)}`);
        }
      }));
    }
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${N} malformed bodies were not a 4xx with a message`);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await predict({ rows: [{ x: 1, colour: 'red' }] })).status, 200, 'still serving');
  });

  await t.test('recommendations: a playlist with reasons, logged as recommendation_shown', async () => {
    const res = await fetch(`${server.url}/v1/recommendations/u3?n=5`);
    assert.equal(res.status, 200);
    const b = await res.json() as { model: string; version: number; cold_start: boolean; tracks: { track_id: string; reason: string }[] };
    assert.equal(b.model, 'music-recommender');
    assert.equal(b.version, 1);
    assert.equal(b.cold_start, false);
    assert.equal(b.tracks.length, 5);
    for (const tr of b.tracks) assert.ok(tr.reason.length > 5);
    const cold = await (await fetch(`${server.url}/v1/recommendations/someone-new?n=3`)).json() as { cold_start: boolean; tracks: unknown[] };
    assert.equal(cold.cold_start, true);
    assert.equal(cold.tracks.length, 3);
    assert.equal((await fetch(`${server.url}/v1/recommendations/u3?n=abc`)).status, 400);
  });

  await t.test('/metrics: request counts, latency histograms, predictions and model versions; Node\'s metrics under their standard names', async () => {
    const text = await (await fetch(server.urls.metrics)).text();
    assert.match(text, /tributary_http_requests_total\{method="POST",route="\/v1\/predict\/tiny",status="200"\} \d+/);
    assert.match(text, /tributary_http_requests_total\{method="POST",route="\/v1\/predict\/tiny",status="400"\} \d+/);
    assert.match(text, /tributary_http_request_duration_seconds_bucket\{le="0.01",method="POST",route="\/v1\/predict\/tiny"\} \d+/);
    assert.match(text, /tributary_predictions_total\{model="tiny",version="3"\} \d+/);
    assert.match(text, /tributary_predictions_total\{model="music-recommender",version="1"\} \d+/);
    assert.match(text, /^process_cpu_seconds_total \d/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.doesNotMatch(text, /tributary_process_cpu/);
    assert.match(text, /^tributary_wal_bytes \d+/m);
    assert.match(text, /^tributary_flush_lag_seconds [\d.]+/m);
    assert.match(text, /tributary_model_version\{model="tiny"\} 3/);
    assert.match(text, /tributary_model_swaps_total\{model="tiny"\} \d+/);
  });

  await t.test('the OpenAPI document lists every route with its schemas', async () => {
    const doc = await (await fetch(server.urls.openapi)).json() as { openapi: string; paths: Record<string, Record<string, any>> };
    assert.equal(doc.openapi, '3.1.0');
    const expected: [string, string][] = [
      ['post', '/v1/events'], ['post', '/v1/predict/tiny'], ['get', '/v1/models'], ['post', '/v1/models/{name}/promote'],
      ['get', '/v1/recommendations/{userId}'], ['get', '/metrics'], ['get', '/healthz'], ['get', '/readyz'],
    ];
    for (const [m, p] of expected) {
      const op = doc.paths[p]?.[m];
      assert.ok(op, `${m.toUpperCase()} ${p} missing from ${Object.keys(doc.paths).join(', ')}`);
      if (m === 'post') assert.ok(op.requestBody?.content?.['application/json']?.schema, `${p}: request schema`);
      if (p.startsWith('/v1/')) assert.ok(op.responses?.['200']?.content?.['application/json']?.schema, `${p}: response schema`);
    }
    // the model's own inputs, as a named component
    const rows = doc.paths['/v1/predict/tiny']!.post.requestBody.content['application/json'].schema.properties.rows;
    assert.equal(rows.items.$ref, '#/components/schemas/FeatureRow.tiny');
    const row = (doc as any).components.schemas['FeatureRow.tiny'];
    assert.deepEqual(Object.keys(row.properties).sort(), ['colour', 'x']);
    assert.deepEqual(row.required.sort(), ['colour', 'x']);
    assert.equal(row.additionalProperties, false);
    assert.equal(doc.paths['/v1/predict/tiny']!.post.responses['400'].content['application/json'].schema.$ref, '#/components/schemas/Problem');
    assert.equal((await (await fetch(`${server.url}/readyz`)).json() as { status: string; models: number }).models, 2);
    assert.deepEqual(doc.paths['/v1/models/{name}/promote']!.post.security, [{ bearer: [] }]);
    const ui = await fetch(server.urls.docs, { redirect: 'follow' });
    assert.equal(ui.status, 200);
  });

  await t.test('every inference request and its answer lands in the lake\'s inference zone', async () => {
    await server.ctx.audit!.drain();
    await server.ctx.lake.flush();
    const wh = await Warehouse.open({ lake: server.ctx.lake });
    try {
      const rows = await wh.query<{
        endpoint: string;
        model: string | null;
        version: number | null;
        status: number;
        latency_ms: number;
        request: string;
        response: string;
      }>(
        `SELECT endpoint, model, version::INT AS version, status::INT AS status, latency_ms, request, response FROM inference.requests`);
      const ok = rows.filter((r) => r.endpoint === 'predict' && r.status === 200);
      assert.ok(ok.length >= 50, `${ok.length} audited predictions`);
      for (const r of ok.slice(0, 20)) {
        assert.equal(r.model, 'tiny');
        assert.equal(JSON.parse(r.response).version, r.version, 'the audited version is the one answered');
        assert.ok(r.latency_ms >= 0 && JSON.parse(r.request).rows);
      }
      assert.ok(rows.some((r) => r.status === 400), 'rejected requests are audited too');
      const probe = await predict({ rows: [{ x: 5, colour: 'blue' }] });
      const id = probe.headers.get('x-request-id');
      assert.match(id ?? '', /^[0-9a-f-]{36}$/);
      await server.ctx.audit!.drain();
      await server.ctx.lake.flush();
      await wh.refresh();
      const [found] = await wh.query<{ n: number }>(`SELECT count(*)::INT AS n FROM inference.requests WHERE request_id = '${id}'`);
      assert.equal(found!.n, 1, 'the x-request-id header finds the audit record');
      assert.ok(rows.some((r) => r.endpoint === 'recommendations'));
      const shown = await wh.query<{ user_id: string; model_version: string; n: number }>(`SELECT user_id, ` +
        `model_version, len(track_ids)::INT AS n FROM raw.recommendation_shown`);
      assert.ok(shown.some((s) => s.user_id === 'u3' && s.model_version === 'music-recommender@v1' && s.n === 5), JSON.stringify(shown));
    } finally {
      wh.close();
    }
  });
});

test('bearer token on write endpoints; sampling of the audit log', async (t) => {
  const { home, cleanup } = tmpHome();
  await registerModels(home);
  const token = 'sekret-token-123456';
  const logs: string[] = [];
  const server = await startServer(testConfig(home, { apiToken: token, host: '127.0.0.1', auditSampling: 0 }), { log: (m) => logs.push(m) });
  t.after(async () => { await server.close(); cleanup(); });
  const promote = (headers: Record<string, string> = {}) => fetch(`${server.url}/v1/models/tiny/promote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ version: 2 }),
  });
  assert.equal((await promote()).status, 401);
  assert.equal((await promote({ authorization: 'Bearer wrong' })).status, 401);
  const ok = await promote({ authorization: `Bearer ${token}` });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { serving_version: number }).serving_version, 2);
  assert.equal((await fetch(`${server.url}/v1/events`, json([]))).status, 401, 'events need the token');
  assert.equal((await fetch(`${server.url}/v1/predict/tiny`, json({ rows: [{ x: 1, colour: 'red' }] }))).status, 200, 'reads stay open');
  assert.ok(logs.every((l) => !l.includes(token)), 'the token is never logged');
  await server.ctx.audit!.drain();
  await server.ctx.lake.flush();
  assert.equal(await server.ctx.lake.catalog.tableExists('inference.requests'), false, 'sampling 0 audits nothing');
});

test('a model kind registered after start-up gets its endpoint without a restart', async (t) => {
  const { home, cleanup } = tmpHome();
  const logs: string[] = [];
  const server = await startServer(testConfig(home), { pollMs: 50, log: (m) => logs.push(m) });
  t.after(async () => { await server.close(); cleanup(); });
  assert.equal((await fetch(`${server.url}/v1/recommendations/u1`)).status, 404);
  assert.ok(!server.routes.includes('GET /v1/recommendations/{userId}'));
  await server.ctx.registry!.registerModel('music-recommender', { artifact: (await playlistModel({ users: 50, tracks: 100 })).toJSON() });
  const deadline = Date.now() + 10_000;
  let status = 0;
  while (Date.now() < deadline && status !== 200) {
    status = (await fetch(`${server.url}/v1/recommendations/u1?n=3`)).status;
    if (status !== 200) await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(status, 200);
  assert.ok(server.routes.includes('GET /v1/recommendations/{userId}'), server.routes.join(', '));
  const doc = await (await fetch(server.urls.openapi)).json() as { paths: Record<string, unknown> };
  assert.ok(doc.paths['/v1/recommendations/{userId}']);
  assert.match(await (await fetch(server.urls.metrics)).text(), /tributary_model_version\{model="music-recommender"\} 1/);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(logs.some((l) => l.startsWith('new model endpoints')), logs.join('\n'));
  assert.ok(!logs.some((l) => l.startsWith('could not rebuild')), logs.join('\n'));
});

test('without a token the server refuses a non-loopback interface', async () => {
  const { home, cleanup } = tmpHome();
  try {
    await assert.rejects(startServer(testConfig(home, { host: '0.0.0.0' })), /refusing to listen on 0\.0\.0\.0 without TRIBUTARY_API_TOKEN/);
  } finally {
    cleanup();
  }
});
