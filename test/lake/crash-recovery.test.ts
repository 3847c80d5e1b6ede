// Durability: a collector killed with SIGKILL mid-stream loses no acknowledged event, and after
// restart every acknowledged event_id is in the lake exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../src/serving/server.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { assertEachAckedOnce, postPlays } from '../fixtures/collector.ts';
import { inWorkspace } from '../fixtures/files.ts';
import { startTributary } from '../fixtures/processes.ts';

const startCollector = (home: string) => startTributary(['serve', '--port', '0'], { TRIBUTARY_HOME: home }, /listening on (http:\/\/\S+)/);

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
        sent += ids.length;
        try {
          inFlight++;
          const res = await postPlays(first.url, ids, { user: `u${c}` }).finally(() => inFlight--);
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
    assert.match(second.output(), /replayed \d+ records/, 'the restart replayed uncommitted segments');
    second.proc.kill('SIGTERM');
    await second.exited;

    await inWorkspace(testConfig(home), async (ws) => {
      const inLake = await assertEachAckedOnce(ws, acked);
      assert.ok(inLake.size >= acked.size);
    });
  } finally { cleanup(); }
});

test('a second lake opened in the same process (a workspace beside the server) never replays the live one\'s log', async () => {
  const { home, cleanup } = tmpHome();
  try {
    const server = await startServer(testConfig(home));
    const post = async (ids: string[]) => assert.equal((await postPlays(server.url, ids, { msPlayed: 5 })).status, 200);
    try {
      await post(['a1', 'a2']);
      // the server's segment is open and unflushed; a workspace opening now must leave it alone
      await inWorkspace(testConfig(home), async () => {});
      await post(['a3']);
    } finally { await server.close(); }
    await inWorkspace(testConfig(home), async (ws) => {
      const rows = await ws.wh.query<{ event_id: string; n: number }>('SELECT event_id, count(*)::INT AS n FROM raw.play GROUP BY event_id ORDER BY event_id');
      assert.deepEqual(rows.map((r) => [r.event_id, r.n]), [['a1', 1], ['a2', 1], ['a3', 1]]);
    });
  } finally { cleanup(); }
});
