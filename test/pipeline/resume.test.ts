// A pipeline killed (SIGKILL) in the middle of a step, then resumed with `tributary run build
// --resume`, produces exactly the tables an uninterrupted run produces, with no duplicate rows;
// the resume reuses the steps the killed run finished. Killed twice (the first resume is killed
// too), the second resume follows the chain. The same world lands in two homes: one builds
// without interruption, the other is killed and resumed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { buildPipeline, discoverModels } from '../../src/pipeline/build.ts';
import { PipelineState } from '../../src/pipeline/state.ts';
import { packageRoot } from '../../src/util/paths.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { tmpHome } from '../helpers.ts';
import { assertSameTables, landDimensions, landEvents, splitWorld, worldEvents } from '../fixtures/worlds.ts';

const CLI = join(packageRoot, 'bin', 'tributary.js');
const quiet = () => {};


/**
 * Runs `tributary run build ...`; with `killAfter` (a step's name, or a pattern of a progress
 * line), SIGKILLs it as soon as that progress line is printed, i.e. while the next steps run.
 */
function cli(home: string, args: string[], killAfter?: string | RegExp): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const line = typeof killAfter === 'string' ? new RegExp(`\\] ${killAfter} `) : killAfter;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'run', 'build', ...args], {
      env: { ...process.env, TRIBUTARY_HOME: home, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (line && line.test(stderr) && p.exitCode === null) p.kill('SIGKILL');
    });
    p.stdout.resume();
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** The steps a run's progress lines name (each printed once it has finished, or was reused). */
function printed(stderr: string): string[] {
  return [...stderr.matchAll(/^\[build +\d+\/\d+\] (\S+) /gm)].map((m) => m[1]!);
}

async function prepare(home: string, older: object[], dims: Record<string, object[]>): Promise<void> {
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  try {
    await landDimensions(ws, dims);
    await landEvents(ws, older);
    await executePipeline(ws, buildPipeline, { log: quiet });
  } finally { await ws.close(); }
}

async function landMore(home: string, events: object[]): Promise<void> {
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  try { await landEvents(ws, events); } finally { await ws.close(); }
}

test('SIGKILL mid-step, then --resume: the same tables as an uninterrupted run, no duplicates', async () => {
  const a = tmpHome('trib-resume-a-'), b = tmpHome('trib-resume-b-');
  try {
    const world = worldEvents({ users: 60, tracks: 250, days: 10, customers: 90, products: 40, months: 6, seed: 11 });
    const [older, newer] = splitWorld(world, 0.2);
    await prepare(a.home, older, world.dims);
    await prepare(b.home, older, world.dims);
    await landMore(a.home, newer);
    await landMore(b.home, newer);

    // A: uninterrupted
    const wsA = await openWorkspace({ config: loadConfig({ home: a.home }) });
    await executePipeline(wsA, buildPipeline, { log: quiet });

    // B: killed once `users` has printed (the build runs models several at a time: the steps
    // running then are killed mid-step), resumed and killed again once the first step it runs
    // (not one it reuses) has finished, resumed to the end. (The resume starts steps heading the
    // longest chain first, so which step it runs first is not fixed: the build's step times decide.)
    const k1 = await cli(b.home, [], 'users');
    assert.equal(k1.signal, 'SIGKILL', `the first run was not killed:\n${k1.stderr}`);
    const k2 = await cli(b.home, ['--resume'], /^\[build +\d+\/\d+\] \S+ +\d+(\.\d+)? m?s\b/m);
    assert.equal(k2.signal, 'SIGKILL', `the first resume was not killed:\n${k2.stderr}`);
    // every step the killed run printed as finished is reused
    for (const step of printed(k1.stderr)) assert.match(k2.stderr, new RegExp(`\\] ${step} +reused`));
    const done = await cli(b.home, ['--resume']);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, /resuming run [0-9a-f]{32} \(\d+ finished steps reused\)/);
    for (const step of printed(k2.stderr)) assert.match(done.stderr, new RegExp(`\\] ${step} +reused`));
    assert.match(done.stderr, /users .*reused/);

    const wsB = await openWorkspace({ config: loadConfig({ home: b.home }) });
    try {
      const state = new PipelineState(wsB.store);
      const runs = await state.runs('build');
      // the first (prepare) build, two killed runs (marked failed by the resume that took over) and the last one
      assert.deepEqual(runs.map((r) => r.status), ['finished', 'failed', 'failed', 'finished']);
      assert.equal(runs[0]!.resumedFrom, runs[1]!.runId);
      assert.equal(runs[1]!.resumedFrom, runs[2]!.runId);
      await assertSameTables(wsB, wsA, discoverModels());
    } finally {
      await wsB.close();
      await wsA.close();
    }
  } finally {
    a.cleanup();
    b.cleanup();
  }
});
