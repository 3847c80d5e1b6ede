// The API contract: /openapi.json validated with an OpenAPI validator, every documented route
// called with requests generated from its schemas, every answer checked against its documented
// schema (see contract.ts); the request log is JSON at info. The retail routes are checked the
// same way in retail.test.ts, on the models the retail pipeline trains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMetaStore } from '../../src/metadata/db.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { startServer } from '../../src/serving/server.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { checkContract } from './contract.ts';
import { playlistModel, tinyPipeline } from './fixtures.ts';

const TOKEN = 'contract-test-token-1234';

test('API contract: valid OpenAPI, every documented route answers what it documents', async (t) => {
  const { home, cleanup } = tmpHome();
  const store = await openMetaStore({ home });
  const reg = new ModelRegistry(store, { home });
  await reg.registerModel('tiny', { artifact: tinyPipeline(2).toJSON() });
  await reg.registerModel('music-recommender', { artifact: (await playlistModel()).toJSON() });
  await store.close();
  const server = await startServer({ ...testConfig(home), apiToken: TOKEN }, { pollMs: 50 });
  t.after(async () => { await server.close(); cleanup(); });

  const report = await checkContract(server.url, { token: TOKEN });
  assert.ok(report.operations >= 8, report.calls.join('\n'));
  for (const route of ['POST /v1/predict/tiny', 'POST /v1/events', 'POST /v1/models/', 'GET /v1/recommendations/', 'GET /v1/models', 'GET /metrics']) {
    assert.ok(report.calls.some((c) => c.startsWith(route)), `${route} was called: ${report.calls.join('\n')}`);
  }
  // the generated feature row is the model's own schema, so it predicts
  assert.ok(report.calls.includes('POST /v1/predict/tiny (generated request) -> 200'), report.calls.join('\n'));

  await t.test('events accepted and rejected are counted by type', async () => {
    const ev = { event_id: 'e-metrics-1', type: 'play', ts: '2026-11-23T10:00:00Z', user_id: 'u1', track_id: 't1', ms_played: 1000, duration_ms: 2000 };
    const res = await fetch(`${server.url}/v1/events`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify([ev, { ...ev, event_id: 'e-metrics-2', ms_played: 'x' }, { type: 'nope' }]),
    });
    assert.equal(res.status, 200);
    const text = await (await fetch(server.urls.metrics)).text();
    assert.match(text, /tributary_events_total\{type="play",outcome="accepted"\} [1-9]/);
    assert.match(text, /tributary_events_total\{type="play",outcome="rejected"\} [1-9]/);
    assert.match(text, /tributary_events_total\{type="unknown",outcome="rejected"\} [1-9]/);
  });

  await t.test('a model registered later gets its own documented route and component', async () => {
    const s2 = await openMetaStore({ home });
    const r2 = new ModelRegistry(s2, { home });
    const { LinearRegression } = await import('../../src/ml/linear/index.ts');
    const { ColumnTransformer } = await import('../../src/ml/preprocessing/index.ts');
    const { Pipeline } = await import('../../src/ml/pipeline/index.ts');
    const n = 20;
    const frame = {
      length: n,
      columns: new Map<string, any>([
        ['age', Float64Array.from({ length: n }, (_, i) => 20 + i)],
        ['plan', Array.from({ length: n }, (_, i) => (i % 3 ? 'free' : 'paid'))],
      ]),
    };
    const p = new Pipeline(
      new ColumnTransformer({ numeric: ['age'], categorical: ['plan'] }),
      new LinearRegression(),
      { task: 'regression' },
    ).fit(frame, Float64Array.from({ length: n }, (_, i) => i));
    await r2.registerModel('churn-age', { artifact: p.toJSON() });
    await s2.close();
    let doc: any;
    for (let i = 0; i < 100; i++) {
      doc = await (await fetch(server.urls.openapi)).json();
      if (doc.components.schemas['FeatureRow.churn-age']) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(Object.keys(doc.components.schemas['FeatureRow.churn-age'].properties).sort(), ['age', 'plan']);
    assert.ok(doc.paths['/v1/predict/churn-age']?.post);
    await checkContract(server.url, { token: TOKEN });
  });
});

test('request logs: one JSON line per request at info on stdout', async () => {
  const { spawn } = await import('node:child_process');
  const { home, cleanup } = tmpHome();
  try {
    const child = spawn(process.execPath, ['bin/tributary.js', 'serve', '--port', '0'], {
      env: { ...process.env, TRIBUTARY_HOME: home, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (c) => { out += c; });
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (c) => { err += c; const m = /listening on (http:\/\/\S+)/.exec(err); if (m) resolve(m[1]!); });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    await (await fetch(`${url}/healthz`)).text();
    await (await fetch(`${url}/nope`)).text();
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const lines = out.split('\n').filter(Boolean);
    assert.ok(lines.length >= 2, `stdout: ${out}\nstderr: ${err}`);
    const parsed = lines.map((l) => JSON.parse(l)); // every stdout line is JSON
    assert.ok(parsed.some((l) => l.msg === 'request' && l.url === '/healthz' && l.status === 200 && l.level === 30));
    assert.ok(parsed.some((l) => l.msg === 'request' && l.url === '/nope' && l.status === 404));
    assert.match(err, /listening on/); // the banner is on stderr
  } finally { cleanup(); }
});
