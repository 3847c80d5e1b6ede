// The CLI's start-up bundle (bin/cli-bundle.js) on a small package of its own: each source keeps
// its own import.meta.url, worker sources get bundled entries, and any change to a source gives
// a new bundle (a stale one is never run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliBundle } from '../../bin/cli-bundle.js';

function tinyPackage(): string {
  const root = mkdtempSync(join(tmpdir(), 'trib-bundle-'));
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'src', 'lib'), { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'tiny', type: 'module', dependencies: {} }));
  writeFileSync(join(root, 'src', 'lib', 'where.ts'), `export const worker: string = new URL('./echo-worker.ts', import.meta.url).href;\n`);
  writeFileSync(join(root, 'src', 'lib', 'echo-worker.ts'), `import { parentPort } from 'node:worker_threads';\nparentPort?.postMessage('hi');\n`);
  writeFileSync(
    join(root, 'src', 'cli', 'main.ts'),
    `import { worker } from '../lib/where.ts';\nconst n: number = 2;\nconsole.log(JSON.stringify({ me: import.meta.url, worker, n }));\n`,
  );
  return root;
}

test('the bundle runs the sources with their own import.meta.url and bundles worker entries', async () => {
  const root = tinyPackage();
  try {
    const dir = await cliBundle(root);
    assert.ok(dir, 'the bundle was built');
    assert.ok(existsSync(join(dir, 'lib', 'echo-worker.js')), 'the worker source has a bundled entry');
    const r = spawnSync(process.execPath, [join(dir, 'cli', 'main.js')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { me: string; worker: string; n: number };
    assert.equal(out.me, pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
    assert.equal(out.worker, pathToFileURL(join(root, 'src', 'lib', 'echo-worker.ts')).href);
    assert.equal(out.n, 2);
    assert.equal(await cliBundle(root), dir, 'unchanged sources reuse the bundle');
    utimesSync(join(root, 'src', 'lib', 'where.ts'), new Date(), new Date(Date.now() + 5000));
    const again = await cliBundle(root);
    assert.ok(again && again !== dir, 'a changed source gives a new bundle');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the CLI answers from its bundle and, without it, through tsx', () => {
  for (const env of [{}, { TRIBUTARY_NO_BUNDLE: '1' }]) {
    const r = spawnSync(process.execPath, [
      join(import.meta.dirname, '..', '..', 'bin', 'tributary.js'),
      '--version',
    ], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0.1.0');
  }
});
