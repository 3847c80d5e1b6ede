// Issue 13: many processes starting at once on a fresh home (or a fresh PostgreSQL schema) all
// open the metadata database: the migrations run once, under a lock, and nobody fails with
// "table already exists".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { backends, tmpHome } from '../helpers.ts';

const fixture = fileURLToPath(new URL('../fixtures/open-store.ts', import.meta.url));

function openInChild(home: string, url: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', fixture, home, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve({ code, out }));
  });
}

for (const make of await backends()) {
  const backend = make();
  test(`concurrent first starts migrate once (${backend.name})`, { timeout: 180_000 }, async () => {
    const { home, cleanup } = tmpHome();
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => openInChild(home, backend.databaseUrl ?? '')));
      const failed = results.filter((r) => r.code !== 0);
      assert.equal(failed.length, 0, failed.map((f) => f.out).join('\n---\n'));
    } finally { await backend.cleanup(); cleanup(); }
  });
}
