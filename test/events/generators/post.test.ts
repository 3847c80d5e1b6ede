// The posting client against the real collector (durable acks, queryable events), and against
// a busy peer that answers 503 before accepting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from '../../../src/serving/server.ts';
import { Warehouse } from '../../../src/warehouse/session.ts';
import { sourceSchemas } from '../../../src/warehouse/sources.ts';
import { musicWorld } from '../../../src/events/generators/music.ts';
import { postEvents, eventsUrl } from '../../../src/events/generators/post.ts';
import { testConfig, tmpHome } from '../../helpers.ts';

test('a music world posted to the collector lands in the lake, every event once', async (t) => {
  const { home, cleanup } = tmpHome();
  const server = await startServer(testConfig(home));
  t.after(async () => { await server.close(); cleanup(); });
  const world = musicWorld({ seed: 11, users: 30, tracks: 300, days: 5 });
  const events = [...world.events()];
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  const progress: number[] = [];
  const s = await postEvents(events, { url: server.url, batch: 500, concurrency: 3, onProgress: (p) => progress.push(p.sent) });
  assert.equal(s.sent, events.length);
  assert.equal(s.accepted, events.length);
  assert.equal(s.rejected, 0);
  assert.equal(s.batches, Math.ceil(events.length / 500));
  assert.equal(progress.length, s.batches);
  assert.equal(progress.at(-1), events.length);

  // a bad event among good ones is reported, the rest accepted
  const bad = { ...events[0]!, event_id: 'bad-1', ms_played: -1 };
  const r = await postEvents([events[1], bad, events[2]], { url: server.url + '/' });
  assert.equal(r.accepted, 2);
  assert.equal(r.rejected, 1);
  assert.equal(r.examples[0]!.event_id, 'bad-1');

  await server.ctx.lake.flush();
  const wh = await Warehouse.open({ lake: server.ctx.lake, schemas: sourceSchemas() });
  try {
    for (const type of ['play', 'skip', 'like', 'search']) {
      const [row] = await wh.query<{ n: bigint | number; d: bigint | number }>(`SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM raw.${type}`);
      const extra = [events[1]!, events[2]!].filter((e) => e.type === type).length; // sent twice
      assert.equal(Number(row!.d), counts[type] ?? 0, `${type}: distinct events`);
      assert.ok(Number(row!.n) <= (counts[type] ?? 0) + extra);
    }
  } finally { wh.close(); }
});

test('retries while the collector is busy, over one keep-alive connection, at the given rate', async (t) => {
  let requests = 0, connections = 0, received = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests++;
      assert.equal(req.headers['content-type'], 'application/x-ndjson');
      assert.equal(req.headers.authorization, 'Bearer secret-token');
      if (requests <= 2) { res.writeHead(503, { 'retry-after': '0' }).end('{"error":"busy"}'); return; }
      const n = body.trim().split('\n').length;
      received += n;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: n, rejected: [] }));
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const items = Array.from({ length: 700 }, (_, i) => ({ i }));
  const t0 = performance.now();
  const s = await postEvents(items, { url, batch: 100, rate: 2000, concurrency: 1, token: 'secret-token' });
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(s.retries, 2);
  assert.equal(s.sent, 700);
  assert.equal(received, 700);
  assert.equal(requests, 9);
  assert.equal(connections, 1, 'one keep-alive connection');
  // the last batch may leave once 600 events are due at 2000/s: never sooner than 0.3 s
  assert.ok(seconds >= 0.29, `held the rate (${seconds.toFixed(3)} s)`);

  const limited = await postEvents(items, { url, batch: 64, limit: 130, token: 'secret-token' });
  assert.equal(limited.sent, 130);
  assert.equal(limited.batches, 3);
});

test('gives up clearly: a collector that stays busy, a refused request, bad options', async (t) => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/busy/v1/events') res.writeHead(503, { 'retry-after': '0' }).end('busy');
      else res.writeHead(401).end('{"error":"unauthorized"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await assert.rejects(postEvents([{}], { url: `${base}/busy`, maxAttempts: 3 }), /still busy after 3 attempts/);
  await assert.rejects(postEvents([{}], { url: base }), /HTTP 401/);
  await assert.rejects(postEvents([{}], { url: base, batch: 20_000 }), /batch/);
  await assert.rejects(postEvents([{}], { url: base, rate: -1 }), /rate/);
  assert.throws(() => eventsUrl('ftp://x'), /http/);
  assert.equal(eventsUrl('http://h:1/api/').href, 'http://h:1/api/v1/events');
});
