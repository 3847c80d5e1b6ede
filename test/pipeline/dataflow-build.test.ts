// The warehouse build run as a dataflow (src/pipeline/build.ts, runner `concurrency`), on real
// DuckDB and Parquet: independent models build at the same time, each on its own connection to
// the session, and every model starts only after the models it reads have finished (seen in the
// runner's records). A build SIGKILLed while two models run, one of them already committed but
// not yet recorded as finished, resumes to exactly the tables of an uninterrupted build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { buildPipeline, discoverModels, stepName } from '../../src/pipeline/build.ts';
import { PipelineState } from '../../src/pipeline/state.ts';
import { Tracker } from '../../src/tracking/tracker.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { tmpHome } from '../helpers.ts';
import { assertSameTables, landDimensions, landEvents, splitWorld, worldEvents } from '../fixtures/worlds.ts';

const killer = fileURLToPath(new URL('../fixtures/build-killed-concurrently.ts', import.meta.url));
const quiet = () => {};

function killedBuild(home: string, killAfter: string): Promise<{ signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', killer, home, killAfter], {
      env: { ...process.env, DATABASE_URL: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('error', reject);
    p.on('exit', (_code, signal) => resolve({ signal, stderr }));
  });
}

async function prepare(home: string, older: object[], newer: object[], dims: Record<string, object[]>): Promise<void> {
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  try {
    await landDimensions(ws, dims);
    await landEvents(ws, older);
    await executePipeline(ws, buildPipeline, { log: quiet, args: { concurrency: 2 } });
    await landEvents(ws, newer);
  } finally { await ws.close(); }
}

test('build as a dataflow: models overlap, each after the models it reads; killed mid-group, resumed to the same tables', async () => {
  const a = tmpHome('trib-dag-a-'), b = tmpHome('trib-dag-b-');
  try {
    const world = worldEvents({ users: 60, tracks: 250, days: 10, customers: 90, products: 40, months: 6, seed: 5 });
    const [older, newer] = splitWorld(world, 0.2);
    await prepare(a.home, older, newer, world.dims);
    await prepare(b.home, older, newer, world.dims);

    // A: uninterrupted, three at a time
    const wsA = await openWorkspace({ config: loadConfig({ home: a.home }) });
    const runA = await executePipeline(wsA, buildPipeline, { log: quiet, args: { concurrency: 3 } });
    const stages = new Map(runA.pipeline.stages.map((s) => [s.name, s]));
    const models = discoverModels();
    assert.equal(stages.size, models.length + 1);
    const overlapped = runA.pipeline.stages.filter((s) => s.stats && s.stats.steps_running > 1);
    assert.ok(overlapped.length >= 2, 'some models built at the same time');
    assert.ok(runA.pipeline.stages.every((s) => !s.stats || s.stats.steps_running <= 3), 'never more than three at once');
    for (const m of models) {
      const me = stages.get(stepName(m.table))!;
      for (const i of m.inputs) {
        const producer = models.find((p) => p.table === i);
        if (producer) assert.ok(stages.get(stepName(producer.table))!.span!.end < me.span!.start, `${m.table} started before ${i} was built`);
      }
    }
    const compact = stages.get('compact')!;
    assert.ok(runA.pipeline.stages.every((s) => s === compact || s.span!.end < compact.span!.start), 'compaction runs after every model');
    const state = new PipelineState(wsA.store);
    const [last, before] = await state.runs('build');
    assert.equal(last!.runId, runA.runId);
    // the run's longest chain of dependent steps, kept with its tracked run; it ends at compaction
    const chain = runA.pipeline.longestChain!;
    assert.equal(chain.steps.at(-1), 'compact');
    assert.ok(chain.seconds <= runA.pipeline.seconds, 'a chain of the run fits in the run');
    const tracked = await new Tracker(wsA.store, { home: a.home }).getRun(runA.runId);
    assert.equal(tracked.tags.longest_chain, chain.steps.join(' -> '));
    assert.equal(tracked.metrics.longest_chain_seconds, chain.seconds);
    // its launch order came from the step times of the build before it (criticalFirst)
    assert.equal(tracked.tags.order_from, before!.runId);
    const expected = await state.stepSeconds('build', 'incremental');
    assert.equal(expected!.runId, runA.runId, 'the next run of its kind orders its steps by this one');
    assert.deepEqual([...expected!.seconds.keys()].sort(), runA.pipeline.stages.map((s) => s.name).sort());
    assert.equal(expected!.seconds.get('plays'), stages.get('plays')!.seconds);

    // B: killed right after `plays` committed, while another model runs; resumed in process
    const killed = await killedBuild(b.home, 'plays');
    assert.equal(killed.signal, 'SIGKILL', `the build was not killed:\n${killed.stderr}`);
    const during = /killing while: (.*)/.exec(killed.stderr)?.[1]?.split(', ') ?? [];
    assert.ok(during.includes('plays') && during.length === 2, `two models were running at the kill: ${during.join(', ')}`);
    const wsB = await openWorkspace({ config: loadConfig({ home: b.home }) });
    try {
      const lines: string[] = [];
      const resumed = await executePipeline(wsB, buildPipeline, { resume: true, log: (l) => lines.push(l), args: { concurrency: 2 } });
      assert.ok(resumed.resumedFrom, 'resumed the killed run');
      const reused = new Set(resumed.pipeline.stages.filter((s) => s.status === 'reused').map((s) => s.name));
      assert.ok(reused.has('tracks'), 'tracks, finished before plays started, is reused');
      for (const n of during) assert.ok(!reused.has(n), `${n} was running at the kill: it runs again`);
      await assertSameTables(wsB, wsA, models);
    } finally {
      await wsB.close();
      await wsA.close();
    }
  } finally {
    a.cleanup();
    b.cleanup();
  }
});
