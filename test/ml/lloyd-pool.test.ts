// The k-means thread pool (src/ml/cluster/lloyd-pool.ts) lasts one turn of the event loop. These
// check that each pool is closed once by one owner, and that a process using it is not held open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GEN, lloydPool, warmLloydPool, toShared } from '../../src/ml/cluster/lloyd-pool.ts';

const CHILD = fileURLToPath(new URL('../fixtures/lloyd-pool-child.ts', import.meta.url));
const nextTurn = () => new Promise((r) => setImmediate(r));

test('a process that used the k-means pool exits on its own once its work is done', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // generous: the child's work takes a few seconds; a held process never exits at all
  const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(limit);
  assert.equal(signal, null, `the child did not exit on its own within 120 s (killed); it printed:\n${out}`);
  assert.equal(code, 0, out);
  const report = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { inertias: number[] };
  assert.equal(report.inertias.length, 3);
  assert.ok(report.inertias[2]! < report.inertias[0]!, 'the fits ran');
});

test('a replaced k-means pool is closed at once and only once, the current one with its turn; a closed pool refuses to run', { timeout: 120_000 }, async () => {
  assert.ok(await warmLloydPool(4), 'the worker pool did not start');
  const a = lloydPool(3);
  assert.ok(a, 'two idle loaded threads');
  assert.equal(lloydPool(3), a, 'the same size in the same turn: the same pool');
  assert.equal(a.closed, false);
  const b = lloydPool(2);
  assert.ok(b && b !== a, 'another size: a new pool');
  assert.equal(a.closed, true, 'the replaced pool is closed at once');
  const aGen = Atomics.load(a.ctrl, GEN);
  const job = { X: toShared(new Float64Array(8)), labels: new Int32Array(4), n: 4, d: 2, k: 1, centers: new Float64Array(2), results: new Float64Array(8) };
  assert.throws(() => a.run(job), /used after it was closed/, 'not a 30 s wait for sessions that have quit');
  assert.equal(b.closed, false);
  await nextTurn();
  assert.equal(b.closed, true, 'the current pool ends with its turn');
  assert.equal(Atomics.load(a.ctrl, GEN), aGen, 'the end of the turn did not close the replaced pool a second time');
  const c = lloydPool(2);
  assert.ok(c && c !== b, 'the next turn gets a new pool');
  await nextTurn();
  assert.equal(c.closed, true);
  // every session returns, including a's, which had not started when a was closed (a session
  // that parks after its pool's QUIT never returns, and its pending task holds the process open)
  await Promise.all([a.ended, b.ended, c.ended]);
});
