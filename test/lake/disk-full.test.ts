// Issue 13: a full disk. The whole home (write-ahead log, lake, metadata database) sits on a
// small tmpfs; while it is full the collector answers 503 with the reason and Retry-After and
// /readyz says not ready; once space returns the server is healthy again by itself (no
// restart), and every acknowledged event is in the lake. Mounting needs root, as in CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/serving/server.ts';
import { checkLake } from '../../src/lake/check.ts';
import { testConfig } from '../helpers.ts';
import { assertEachAckedOnce, postPlays } from '../fixtures/collector.ts';
import { inWorkspace } from '../fixtures/files.ts';

const root = process.getuid?.() === 0;

function mountTmpfs(megabytes: number): { dir: string; unmount(): void } | null {
  const dir = mkdtempSync(join(tmpdir(), 'trib-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return { dir, unmount: () => { execFileSync('umount', ['-l', dir]); rmSync(dir, { recursive: true, force: true }); } };
}

/** Fills the file system with one file until ENOSPC. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 << 10, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    // the last few bytes too
    for (let n = 4096; n >= 1; n >>= 1) { try { for (;;) writeSync(fd, chunk, 0, n); } catch { /* next size */ } }
  } finally { closeSync(fd); }
}

const waitFor = async (what: string, ok: () => Promise<boolean>) => {
  for (let i = 0; i < 600; i++) { if (await ok()) return; await new Promise((r) => setTimeout(r, 50)); }
  assert.fail(`timed out waiting for ${what}`);
};

test('disk full: 503 with the reason while full, no acknowledged event lost, healthy again without a restart', {
  skip: root ? false : 'needs root to mount a small tmpfs (CI runs as root)',
}, async (t) => {
  const fs = mountTmpfs(48);
  if (!fs) { t.skip('mount -t tmpfs is not permitted here (a container without CAP_SYS_ADMIN)'); return; }
  const home = join(fs.dir, 'home');
  try {
    const server = await startServer(testConfig(home));
    const acked = new Set<string>();
    let seq = 0;
    const send = async () => {
      const ids = Array.from({ length: 50 }, () => `e${seq++}`);
      const res = await postPlays(server.url, ids);
      const out = { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() as any };
      if (res.status === 200) for (const id of ids) acked.add(id);
      return out;
    };
    try {
      for (let i = 0; i < 5; i++) assert.equal((await send()).status, 200);
      await server.ctx.lake.flush();

      fill(join(fs.dir, 'filler'));
      // appends now fail: 503, the reason, Retry-After, and no acknowledgement
      let full = await send();
      for (let i = 0; i < 20 && full.status === 200; i++) full = await send(); // page-cache slack
      assert.equal(full.status, 503);
      assert.equal(full.body.error, 'storage_unavailable');
      assert.match(full.body.message, /no space left/);
      assert.doesNotMatch(full.body.message, new RegExp(fs.dir), 'no file path in the answer');
      assert.ok(Number(full.retryAfter) > 0, 'Retry-After is set');
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(((await ready.json()) as { message: string }).message, /ENOSPC/);
      await server.ctx.lake.flush().catch(() => {}); // a flush cannot write either: it is retried later
      for (let i = 0; i < 3; i++) assert.equal((await send()).status, 503);

      // space returns: no restart, no request needed for readiness to come back
      rmSync(join(fs.dir, 'filler'));
      await waitFor('/readyz to answer 200', async () => (await fetch(`${server.url}/readyz`)).status === 200);
      for (let i = 0; i < 5; i++) assert.equal((await send()).status, 200);
      await waitFor('the flusher to catch up', async () => { await server.ctx.lake.flush(); return server.ctx.lake.health().ready; });
    } finally { await server.close(); }

    await inWorkspace(testConfig(home), async (ws) => {
      await assertEachAckedOnce(ws, acked);
      assert.ok(acked.size >= 500);
      assert.deepEqual((await checkLake(ws.lake)).problems, []);
    });
  } finally { fs.unmount(); }
});
