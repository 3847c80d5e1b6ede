// Issue 13's findings at the collector's door: duplicate keys, deep nesting, invalid UTF-8,
// content types, and the URL limit on ids the schema allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startServer } from '../../src/serving/server.ts';
import { openMetaStore } from '../../src/metadata/db.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { playlistModel } from './fixtures.ts';

const ev = (id: string) => `"event_id":"${id}","type":"play","ts":"2026-11-23T10:00:00Z","user_id":"u1","track_id":"t9"`;

/** POSTs raw bytes (fetch would re-encode a string body as UTF-8). */
function postBytes(url: string, body: Buffer, type: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': type, 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('collector hardening', async (t) => {
  const { home, cleanup } = tmpHome();
  const store = await openMetaStore({ home });
  await new ModelRegistry(store, { home }).registerModel('music-recommender', { artifact: (await playlistModel()).toJSON() });
  await store.close();
  const server = await startServer(testConfig(home));
  t.after(async () => { await server.close(); cleanup(); });
  const post = (body: string, type = 'application/json') => postBytes(server.url, Buffer.from(body), type);

  await t.test('a duplicate key is a 400 naming the key, in JSON and NDJSON (never validated on one value and stored with the other)', async () => {
    const dup = `{${ev('d1')},"ms_played":-999999999,"ms_played":5}`;
    let r = await post(`[${dup}]`);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'duplicate_key');
    assert.equal(r.body.key, 'ms_played');
    assert.match(r.body.message, /"ms_played"/);
    r = await post(`{${ev('ok0')},"ms_played":5}\n{${ev('d2')},"ts":null,"ts":"2026-11-23T10:00:00Z","ms_played":5}`, 'application/x-ndjson');
    assert.equal(r.status, 400);
    assert.equal(r.body.key, 'ts');
    assert.equal(r.body.line, 2);
    // an escaped spelling of the same key is the same key
    r = await post(`{${ev('d3')},"ms_played":5,"ms_pl\\u0061yed":6}`);
    assert.equal(r.status, 400);
    await server.ctx.lake.flush();
    const ws = server.ctx.lake;
    assert.equal(await ws.catalog.tableExists('raw.play'), false, 'nothing of those batches was stored');
  });

  await t.test('deep nesting is a 400, not a stack overflow', async () => {
    const r = await post('['.repeat(100_000) + ']'.repeat(100_000));
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'too_deep');
    const r2 = await post(`{${ev('n1')},"ms_played":5,"x":${'['.repeat(50)}${']'.repeat(50)}}`, 'application/x-ndjson');
    assert.equal(r2.status, 400);
  });

  await t.test('invalid UTF-8 is a 400 in both formats', async () => {
    const bad = Buffer.concat([Buffer.from(`[{${ev('u1')},"ms_played":5,"context":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}]')]);
    let r = await postBytes(server.url, bad, 'application/json');
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_utf8');
    r = await postBytes(server.url, bad.subarray(1, bad.length - 1), 'application/x-ndjson');
    assert.equal(r.status, 400);
  });

  await t.test('text/plain is a 415, as the README says', async () => {
    const r = await post(`{${ev('p1')},"ms_played":5}`, 'text/plain');
    assert.equal(r.status, 415);
  });

  await t.test('a valid event is stored re-serialised, as validated', async () => {
    const r = await post(`{ ${ev('s1')} ,\r"ms_played" :\t5 }\r\n`, 'application/x-ndjson');
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    await server.ctx.lake.flush();
    const files = await server.ctx.lake.filePaths('raw.play');
    const rows = (await server.ctx.lake.conn.runAndReadAll(`SELECT event_id, ms_played FROM ` +
      `read_parquet([${files.map((f) => `'${f}'`).join(',')}])`)).getRowObjectsJS();
    assert.deepEqual(rows.map((x) => [x.event_id, Number(x.ms_played)]), [['s1', 5]]);
  });

  await t.test('user ids of up to 128 characters (the schema) pass the URL limit', async () => {
    for (const id of ['u'.repeat(101), 'u'.repeat(128), 'é'.repeat(128)]) {
      const res = await fetch(`${server.url}/v1/recommendations/${encodeURIComponent(id)}?n=3`);
      assert.equal(res.status, 200, `${id.length} characters`);
      assert.equal((await res.json() as { user_id: string }).user_id, id);
    }
    assert.equal((await fetch(`${server.url}/v1/recommendations/${'u'.repeat(129)}`)).status, 400);
  });
});
