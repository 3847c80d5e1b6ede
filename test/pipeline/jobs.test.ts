// Batch work on the bus: a hyper-parameter search queued on JetStream as one trial per
// combination, taken by two `tributary worker` processes, every trial recorded in tracking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JetStreamBus } from '../../src/bus/index.ts';
import { ensureJobsStream, jobQueue, searchResults, submitSearch } from '../../src/pipeline/jobs.ts';
import { tmpHome } from '../helpers.ts';
import { testNats } from '../nats-cluster.ts';
import { startTributary, type Started } from '../fixtures/processes.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const startWorker = (env: Record<string, string>) => startTributary(['worker'], env, /running/);

test('a search queued on JetStream is run by two worker processes, each trial a tracked run', { timeout: 180_000 }, async (t) => {
  const nats = await testNats();
  if (!nats) return t.skip('nats-server is not installed (apt-get install nats-server) and TEST_NATS_URL is not set');
  const { home, cleanup } = tmpHome();
  const workers: Started[] = [];
  const bus = await JetStreamBus.connect({ url: nats.url });
  try {
    const csv = join(home, 'train.csv');
    let s = 'x1,x2,y\n';
    for (let i = 0; i < 300; i++) { const x1 = (i * 37) % 101, x2 = (i * 53) % 89; s += `${x1},${x2},${2 * x1 - x2 + (i % 7)}\n`; }
    writeFileSync(csv, s);
    const env = { TRIBUTARY_HOME: home, NATS_URL: nats.url, LOG_LEVEL: 'error' };
    await searchResults({ home }, 'none'); // creates the metadata database once, before two processes race to
    workers.push(await startWorker(env), await startWorker(env));
    const train = { task: 'regression', target: 'y', model: 'random-forest', seed: 1 } as const;
    const { search, jobs } = await submitSearch(bus, { data: csv, train, search: { depth: [2, 6], trees: [5, 20] } });
    assert.equal(jobs, 4);
    const until = Date.now() + 150_000;
    let results = await searchResults({ home }, search);
    while (results.filter((r) => r.status === 'finished').length < 4) {
      const recorded = JSON.stringify(results.map((r) => [r.status, r.worker, r.params]));
      assert.ok(Date.now() < until, `${results.filter((r) => r.status === 'finished').length} of 4 trials finished; recorded: ${recorded}`);
      await sleep(250);
      results = await searchResults({ home }, search);
    }
    assert.equal(results.length, 4, 'each trial ran once');
    const combos = new Set(results.map((r) => `${r.params.depth}/${r.params.trees}`));
    assert.deepEqual([...combos].sort(), ['2/20', '2/5', '6/20', '6/5']);
    for (const r of results) assert.ok(r.metrics.rmse > 0, 'each trial has its score');
    const deep = results.filter((r) => r.params.depth === '6').map((r) => r.metrics.rmse);
    const shallow = results.filter((r) => r.params.depth === '2').map((r) => r.metrics.rmse);
    assert.ok(Math.min(...deep) < Math.min(...shallow), 'deeper trees fit this signal better: the scores are real');
    const byWorker: Record<string, number> = {};
    for (const r of results) byWorker[r.worker ?? '?'] = (byWorker[r.worker ?? '?'] ?? 0) + 1;
    t.diagnostic(`trials by worker: ${JSON.stringify(byWorker)}`);
  } finally {
    for (const w of workers) w.proc.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await bus.close();
    await nats.stop();
    cleanup();
  }
});

test('the default queue and named queues live side by side on one NATS (no overlapping subjects)', async (t) => {
  const nats = await testNats();
  if (!nats) return t.skip('nats-server is not installed (apt-get install nats-server) and TEST_NATS_URL is not set');
  const bus = await JetStreamBus.connect({ url: nats.url });
  const named = jobQueue(`side${process.pid}`);
  try {
    // either order: a named queue first, then the default one, then another named one
    await ensureJobsStream(bus, named);
    await ensureJobsStream(bus, jobQueue());
    await ensureJobsStream(bus, jobQueue(`side${process.pid}-b`));
    await ensureJobsStream(bus, named);
  } finally {
    await bus.deleteStream(named.stream);
    await bus.deleteStream(jobQueue(`side${process.pid}-b`).stream);
    await bus.close();
    await nats.stop(); // a cluster of its own without TEST_NATS_URL: left running, it held the file open
  }
});
