// Durability: a collector killed with SIGKILL mid-stream loses no acknowledged event, and after
// restart every acknowledged event_id is in the lake exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { startServer } from '../../src/serving/server.ts';
import { testConfig, tmpHome } from '../helpers.ts';

const bin = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));

function startCollector(home: string): Promise<{ proc: ChildProcess; url: string; exited: Promise<unknown>; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
      env: { ...process.env, TRIBUTARY_HOME: home, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => proc.once('exit', r));
    let out = '';
    proc.stdout!.on('data', (d) => { out += d; });
    // the serve banner is on stderr (stdout carries only the JSON request log)
    let err = '';
    proc.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ proc, url: m[1]!, exited, stderr: () => err });
    });
    proc.on('exit', (code) => reject(new Error(`collector exited early (${code}): ${out}`)));
  });
}

test('SIGKILL mid-stream loses no acknowledged event', { timeout: 120_000 }, async () => {
  const { home, cleanup } = tmpHome();
  try {
    const first = await startCollector(home);
    const acked = new Set<string>();
    let sent = 0, inFlight = 0;
    let killed = false;
    const client = async (c: number) => {
      for (let b = 0; !killed; b++) {
        const ids = Array.from({ length: 200 }, (_, i) => `c${c}-b${b}-${i}`);
        const body = ids.map((id) => JSON.stringify({
          event_id: id,
          type: 'play',
          ts: '2026-11-23T10:00:00Z',
          user_id: `u${c}`,
          track_id: 't1',
          ms_played: 1000,
        })).join('\n');
        sent += ids.length;
        try {
          inFlight++;
          const res = await fetch(
            `${first.url}/v1/events`,
            { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body },
          ).finally(() => inFlight--);
          if (res.status === 200) {
            const r = await res.json() as { accepted: number };
            assert.equal(r.accepted, ids.length);
            for (const id of ids) acked.add(id);
          }
        } catch (e) { if (!killed) throw e; return; /* connection died with the process */ }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    // kill once a good number of batches are acknowledged, while requests are still in flight
    while (acked.size < 20_000 || inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    first.proc.kill('SIGKILL');
    const inFlightAtKill = inFlight;
    killed = true;
    await Promise.all(clients);
    await first.exited;
    assert.ok(inFlightAtKill > 0 && sent > 0, 'some batches were in flight when the process died');

    // restart: the new process replays the dead one's segments before it listens
    const second = await startCollector(home);
    assert.match(second.stderr(), /replayed \d+ records/, 'the restart replayed uncommitted segments');
    second.proc.kill('SIGTERM');
    await second.exited;

    const ws = await openWorkspace({ config: testConfig(home) });
    try {
      const rows = await ws.wh.query<{ event_id: string; n: number }>('SELECT event_id, count(*)::INT AS n FROM raw.play GROUP BY event_id');
      const inLake = new Map(rows.map((r) => [r.event_id, r.n]));
      const missing = [...acked].filter((id) => !inLake.has(id));
      assert.equal(missing.length, 0, `acknowledged events missing: ${missing.slice(0, 5).join(', ')}`);
      const dup = rows.filter((r) => r.n !== 1);
      assert.equal(dup.length, 0, `events stored more than once: ${dup.slice(0, 5).map((r) => r.event_id).join(', ')}`);
      assert.ok(inLake.size >= acked.size);
    } finally { await ws.close(); }
  } finally { cleanup(); }
});

test('a second lake opened in the same process (a workspace beside the server) never replays the live one\'s log', async () => {
  const { home, cleanup } = tmpHome();
  try {
    const server = await startServer(testConfig(home));
    const post = async (ids: string[]) => {
      const body = ids.map((id) => JSON.stringify({
        event_id: id,
        type: 'play',
        ts: '2026-11-23T10:00:00Z',
        user_id: 'u1',
        track_id: 't1',
        ms_played: 5,
      })).join('\n');
      const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      assert.equal(res.status, 200);
    };
    try {
      await post(['a1', 'a2']);
      // the server's segment is open and unflushed; a workspace opening now must leave it alone
      const ws = await openWorkspace({ config: testConfig(home) });
      await ws.close();
      await post(['a3']);
    } finally { await server.close(); }
    const ws = await openWorkspace({ config: testConfig(home) });
    try {
      const rows = await ws.wh.query<{ event_id: string; n: number }>('SELECT event_id, count(*)::INT AS n FROM raw.play GROUP BY event_id ORDER BY event_id');
      assert.deepEqual(rows.map((r) => [r.event_id, r.n]), [['a1', 1], ['a2', 1], ['a3', 1]]);
    } finally { await ws.close(); }
  } finally { cleanup(); }
});
