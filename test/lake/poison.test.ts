// Issue 13: one request must not be able to stop the lake. The reproduction (a lone
// surrogate acknowledged, then every later start, query and build failing), a segment that is
// already poisoned on disk (the unframed format of earlier versions), torn and damaged frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../../src/serving/server.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { buildModels } from '../../src/warehouse/models.ts';
import { checkLake } from '../../src/lake/check.ts';
import { decodeSegment, encodeRecords, repairSegment } from '../../src/lake/wal.ts';
import { testConfig, tmpHome } from '../helpers.ts';

const play = (id: string, extra = '') =>
  `{"event_id":"${id}","type":"play","ts":"2026-11-23T10:00:00Z","user_id":"u1","track_id":"t9","ms_played":1,"duration_ms":2${extra}}`;

test("the issue's reproduction: a lone surrogate is rejected and the lake keeps working", async () => {
  const { home, cleanup } = tmpHome();
  try {
    const server = await startServer(testConfig(home));
    try {
      const body = '{"event_id":"bad1","type":"play","ts":"2026-11-23T10:00:00Z","user_id":"\\ud800","track_id":"t9","ms_played":1,"duration_ms":2}\n'
        + `${play('good1')}\n{"event_id":"bad2","type":"play",\r"ts":"2026-11-23T10:00:00Z","user_id":"\\udc00x","track_id":"t9","ms_played":1}\n`
        + '{"event_id":"cr1",\r"type":"play","ts":"2026-11-23T10:00:00Z","user_id":"u\\r2","track_id":"t9","ms_played":1}\r\n';
      const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      assert.equal(res.status, 200);
      const r = await res.json() as { accepted: number; rejected: { line: number; field: string; message: string }[] };
      assert.equal(r.accepted, 2, 'the good event and the one with CR as whitespace');
      assert.deepEqual(r.rejected.map((x) => [x.line, x.field]), [[1, 'user_id'], [3, 'user_id']]);
      assert.match(r.rejected[0]!.message, /surrogate/);
    } finally { await server.close(); }

    // the server stopped cleanly, and queries, builds and the next start all work
    const ws = await openWorkspace({ config: testConfig(home) });
    try {
      const ids = (await ws.wh.query<{ event_id: string; user_id: string }>('SELECT event_id, user_id FROM raw.play ORDER BY event_id'));
      assert.deepEqual(ids.map((x) => x.event_id), ['cr1', 'good1']);
      assert.equal(ids[0]!.user_id, 'u\r2', 'an escaped CR inside a string is data, kept');
      const q = await ws.wh.query<{ event_id: string; payload: string }>('SELECT event_id, payload FROM quarantine.events ORDER BY line');
      assert.deepEqual(q.map((x) => x.event_id), ['bad1', 'bad2']);
      assert.match(q[0]!.payload, /\\ud800/, 'the original text is kept in quarantine');
      await buildModels(ws.wh);
      assert.equal((await ws.wh.query('SELECT * FROM curated.plays')).length, 2);
      assert.deepEqual((await checkLake(ws.lake)).problems, []);
    } finally { await ws.close(); }
    const again = await startServer(testConfig(home));
    assert.equal((await fetch(`${again.url}/readyz`)).status, 200);
    await again.close();
  } finally { cleanup(); }
});

test('a segment poisoned by an earlier version is replayed: its good records stored, the poison kept in quarantine', async () => {
  const { home, cleanup } = tmpHome();
  try {
    // what today's main wrote for the reproduction: unframed lines, the raw text of each event,
    // in the directory of a writer that is gone
    const dir = join(home, 'wal', 'w-999999-1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: 999999 }));
    const lines = [
      `raw.play\t2026-11-23\t${play('old1')}`,
      `raw.play\t2026-11-23\t{"event_id":"bad1","type":"play","ts":"2026-11-23T10:00:00Z","user_id":"\\ud800","track_id":"t9","ms_played":1}`,
      `raw.play\t2026-11-23\t{"event_id":"cr",\r"type":"play","ts":"2026-11-23T10:00:00Z","user_id":"u1","track_id":"t9","ms_played":1}`,
      `raw.play\t2026-11-23\t${play('old2')}`,
    ];
    writeFileSync(join(dir, 'seg-00001764000000000-000000.wal'), lines.join('\n') + '\n');
    const ws = await openWorkspace({ config: testConfig(home) });
    try {
      const ids = (await ws.wh.query<{ event_id: string }>('SELECT event_id FROM raw.play ORDER BY event_id')).map((x) => x.event_id);
      assert.deepEqual(ids, ['cr', 'old1', 'old2']);
      const q = await ws.wh.query<{ target_table: string; reason: string; payload: string }>('SELECT target_table, reason, payload FROM quarantine.flush');
      assert.equal(q.length, 1);
      assert.equal(q[0]!.target_table, 'raw.play');
      assert.match(q[0]!.reason, /surrogate/);
      assert.match(q[0]!.payload, /bad1/);
      assert.deepEqual((await checkLake(ws.lake)).problems, []);
    } finally { await ws.close(); }
  } finally { cleanup(); }
});

test('framed segments: a torn tail is cut at the last whole record, damage in the middle is skipped and reported', () => {
  const { home, cleanup } = tmpHome();
  try {
    const rec = (id: string) => ({ table: 'raw.play', dt: '2026-11-23', json: play(id) });
    const path = join(home, 'seg.wal');
    writeFileSync(path, encodeRecords([rec('a'), rec('b')]));
    const whole = readFileSync(path).length;
    // a write torn by a crash or a full disk: half a record, never acknowledged
    appendFileSync(path, encodeRecords([rec('c')]).slice(0, 30));
    let dec = decodeSegment(readFileSync(path));
    assert.deepEqual(dec.records.map((r) => JSON.parse(r.json).event_id), ['a', 'b']);
    assert.equal(dec.validBytes, whole);
    repairSegment(path);
    assert.equal(readFileSync(path).length, whole, 'the torn tail is cut off on disk');

    // a flipped byte inside a record that has good records after it
    const good = encodeRecords([rec('x'), rec('y'), rec('z')]);
    const flipped = good.replace('"y"', '"Y"');
    writeFileSync(path, flipped);
    dec = decodeSegment(readFileSync(path));
    assert.deepEqual(dec.records.map((r) => JSON.parse(r.json).event_id), ['x', 'z']);
    assert.equal(dec.damaged.length, 1);
    assert.match(dec.damaged[0]!.reason, /checksum/);
    // a record glued to a torn one is never taken as whole
    writeFileSync(path, encodeRecords([rec('p')]).slice(0, 40) + encodeRecords([rec('q')]));
    dec = decodeSegment(readFileSync(path));
    assert.deepEqual(dec.records.map((r) => JSON.parse(r.json).event_id), []);
    assert.throws(() => encodeRecords([{ table: 'raw.play', dt: '2026-11-23', json: '{"a":\n1}' }]), /one line/);
  } finally { cleanup(); }
});
