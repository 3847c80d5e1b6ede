// The runner's dataflow scheduling (src/pipeline/runner.ts, `concurrency`): a step starts once the
// steps producing its inputs have finished, at most N at a time; independent steps overlap (seen
// in the runner's own records: each stage's span in the run's sequence of starts and ends, and
// the most steps running at once); a failing step lets the running ones finish, starts nothing
// more, and fails the pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  criticalFirst, formatSummary, longestChain, PipelineError, runPipeline, stepDependencies, type StageRecord, type Step,
} from '../../src/pipeline/runner.ts';

/** A promise and its resolver: a step that waits for another step to have started. */
function signal(): { wait: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const wait = new Promise<void>((r) => { fire = r; });
  return { wait, fire };
}

/** Waits for `p`, failing the test if it takes longer than a generous bound (a run that never overlaps would hang). */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: never happened`)), 10_000); });
  try { return await Promise.race([p, timeout]); } finally { clearTimeout(timer); }
}

const overlap = (a: StageRecord, b: StageRecord) => a.span!.start < b.span!.end && b.span!.start < a.span!.end;
const byName = (stages: StageRecord[]) => new Map(stages.map((s) => [s.name, s]));

test('stepDependencies: reads after writes, writes after reads and writes, and steps declaring nothing as barriers', () => {
  const deps = stepDependencies([
    /* 0 */ { inputs: ['raw.a'], outputs: ['curated.x'] },
    /* 1 */ { inputs: ['raw.b'], outputs: ['curated.y'] },
    /* 2 */ { inputs: ['curated.x', 'curated.y'], outputs: ['curated.z'] },
    /* 3 */ { inputs: [], outputs: ['curated.t'] },
    /* 4 */ { inputs: ['raw.a'], outputs: ['raw.b'] }, // rewrites what 1 read
    /* 5 */ {}, // compaction: touches anything
    /* 6 */ { inputs: ['raw.a'], outputs: ['curated.w'] },
  ]);
  assert.deepEqual(deps, [[], [], [0, 1], [], [1], [0, 1, 2, 3, 4], [5]]);
});

test('longestChain: the dependent steps whose times add up the most, not the longest single step nor the most steps', () => {
  // a(1) -> b(1) -> d(1) is three steps for 3 s; c(2.5) -> d(1) two for 3.5 s; e(3.2) stands alone
  const names = ['a', 'b', 'c', 'd', 'e'];
  const deps = [[], [0], [], [1, 2], []];
  assert.deepEqual(longestChain(names, [1, 1, 2.5, 1, 3.2], deps), { steps: ['c', 'd'], seconds: 3.5 });
  // a slower b makes the chain through it the longest
  assert.deepEqual(longestChain(names, [1, 2, 2.5, 1, 3.2], deps), { steps: ['a', 'b', 'd'], seconds: 4 });
  // a longer lone step beats every chain
  assert.deepEqual(longestChain(names, [1, 1, 2.5, 1, 9], deps), { steps: ['e'], seconds: 9 });
  assert.deepEqual(longestChain([], [], []), { steps: [], seconds: 0 });
});

test('dataflow: the run reports its longest chain of dependent steps, and its summary names it', async () => {
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const steps: Step<object>[] = [
    { name: 'slow', inputs: ['raw.a'], outputs: ['curated.a'], run: async () => { await pause(60); } },
    { name: 'after_slow', inputs: ['curated.a'], outputs: ['curated.b'], run: async () => { await pause(30); } },
    { name: 'quick', inputs: ['raw.c'], outputs: ['curated.c'], run: () => {} },
    { name: 'after_quick', inputs: ['curated.c'], outputs: ['curated.d'], run: () => {} },
  ];
  const r = await runPipeline('t', steps, {}, { log: () => {}, concurrency: 2 });
  // whichever of the two chains took longer in this run, by the times the run recorded
  const took = byName(r.stages), t = (n: string) => took.get(n)!.seconds;
  const [chain, other] = t('slow') + t('after_slow') >= t('quick') + t('after_quick')
    ? [['slow', 'after_slow'], ['quick', 'after_quick']] : [['quick', 'after_quick'], ['slow', 'after_slow']];
  assert.deepEqual(r.longestChain, { steps: chain, seconds: t(chain[0]!) + t(chain[1]!) });
  assert.ok(r.longestChain!.seconds >= t(other[0]!) + t(other[1]!));
  const summary = formatSummary(r);
  assert.match(summary, new RegExp(`^\\* longest chain of dependent steps: ${chain.join(' -> ')}, \\d+ ms \\(\\d+% of the run\\)$`, 'm'));
  // the chain's steps starred; shares of the steps' summed time (the steps overlapped)
  const lines = summary.split('\n').filter((l) => /^(slow|after_slow|quick|after_quick) /.test(l));
  assert.deepEqual(lines.filter((l) => l.endsWith('*')).map((l) => l.split(' ')[0]), chain);
  const shares = lines.map((l) => Number(/(\d+)%/.exec(l)![1]));
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 100) <= 2, `shares ${shares.join(', ')} add up to 100%`);
  // a run in list order has no dataflow to speak of
  assert.equal((await runPipeline('t', steps, {}, { log: () => {} })).longestChain, undefined);
});

test('dataflow: independent steps overlap, a step waits for the steps producing its inputs', async () => {
  const aStarted = signal(), cStarted = signal();
  const order: string[] = [];
  const steps: Step<object>[] = [
    // a and c are independent: each waits until the other has started, which only a concurrent run allows
    {
      name: 'a', inputs: ['raw.a'], outputs: ['curated.a'],
      run: async () => { aStarted.fire(); await within(cStarted.wait, 'c starting while a runs'); order.push('a'); return 1; },
    },
    { name: 'b', inputs: ['curated.a'], outputs: ['curated.b'], run: () => { order.push('b'); return 2; } },
    {
      name: 'c', inputs: ['raw.c'], outputs: ['curated.c'],
      run: async () => { cStarted.fire(); await within(aStarted.wait, 'a starting while c runs'); order.push('c'); return 3; },
    },
    { name: 'd', inputs: ['curated.b', 'curated.c'], outputs: ['curated.d'], run: () => { order.push('d'); } },
  ];
  const lines: string[] = [];
  const r = await runPipeline('t', steps, {}, { log: (l) => lines.push(l), concurrency: 2 });
  const s = byName(r.stages);
  assert.ok(overlap(s.get('a')!, s.get('c')!), 'a and c overlapped');
  assert.equal(s.get('a')!.stats!.steps_running, 2);
  assert.equal(s.get('c')!.stats!.steps_running, 2);
  // dependencies: a step starts after each producer of its inputs ended
  assert.ok(s.get('b')!.span!.start > s.get('a')!.span!.end);
  assert.ok(s.get('d')!.span!.start > s.get('b')!.span!.end);
  assert.ok(s.get('d')!.span!.start > s.get('c')!.span!.end);
  assert.equal(order.at(-1), 'd');
  assert.ok(order.indexOf('b') > order.indexOf('a'));
  assert.equal(lines.length, 4, 'one progress line per step');
  assert.deepEqual(r.stages.map((x) => x.status), ['ok', 'ok', 'ok', 'ok']);
});

test('dataflow: never more than N steps at once; N = 1 is the list order', async () => {
  const many = (n: number): Step<object>[] => Array.from({ length: n }, (_, i) => ({
    name: `s${i}`, inputs: [`raw.t${i}`], outputs: [`curated.t${i}`],
    run: async () => { await new Promise((res) => setImmediate(res)); return i; },
  }));
  const r3 = await runPipeline('t', many(7), {}, { log: () => {}, concurrency: 3 });
  // the most spans holding one instant: at some step's start, the steps started and not yet ended
  const most = (stages: StageRecord[]) =>
    Math.max(...stages.map((a) => stages.filter((b) => b.span!.start <= a.span!.start && a.span!.start < b.span!.end).length));
  assert.equal(most(r3.stages), 3, 'three at a time, no more');
  assert.ok(r3.stages.every((x) => x.stats!.steps_running <= 3));
  const r1 = await runPipeline('t', many(5), {}, { log: () => {}, concurrency: 1 });
  assert.deepEqual(r1.stages.map((x) => x.name), ['s0', 's1', 's2', 's3', 's4']);
  assert.equal(most(r1.stages), 1);
});

test('criticalFirst: ready steps heading the longest expected chain of work first, list order among equals', () => {
  // a (quick) and c (quick) are independent; c heads c -> d -> e, the longest chain; b follows a
  const names = ['a', 'b', 'c', 'd', 'e'];
  const steps = [
    { inputs: ['raw.x'], outputs: ['curated.a'] },
    { inputs: ['curated.a'], outputs: ['curated.b'] },
    { inputs: ['raw.y'], outputs: ['curated.c'] },
    { inputs: ['curated.c'], outputs: ['curated.d'] },
    { inputs: ['curated.d'], outputs: ['curated.e'] },
  ];
  const deps = stepDependencies(steps);
  const est = new Map([['a', 0.1], ['b', 0.5], ['c', 0.1], ['d', 0.3], ['e', 0.4]]);
  // levels: a 0.6, b 0.5, c 0.8, d 0.7, e 0.4
  assert.deepEqual(criticalFirst(names, deps, est).map((i) => names[i]), ['c', 'd', 'a', 'b', 'e']);
  // equal levels keep list order; a step without an estimate counts as the median (0.3 here)
  assert.deepEqual(criticalFirst(['p', 'q', 'r'], [[], [], []], new Map([['p', 0.2], ['q', 0.2]])).map((i) => ['p', 'q', 'r'][i]), ['p', 'q', 'r']);
  assert.deepEqual(criticalFirst(['p', 'q', 'r'], [[], [], []], new Map([['p', 0.2], ['q', 0.5]])).map((i) => ['p', 'q', 'r'][i]), ['q', 'r', 'p']);
  assert.deepEqual(criticalFirst(names, deps, new Map()), [0, 1, 2, 3, 4], 'no estimates: list order');
});

test('dataflow with estimates: one slot goes to the head of the longest expected chain, not the first listed step', async () => {
  const started: string[] = [];
  const step = (name: string, input: string, output: string): Step<object> => ({
    name, inputs: [input], outputs: [output], run: async () => { started.push(name); await new Promise((res) => setImmediate(res)); },
  });
  const steps = [
    step('commerce', 'raw.order', 'curated.orders'),
    step('plays', 'raw.play', 'curated.plays'),
    step('interactions', 'curated.plays', 'curated.interactions'),
    step('genres', 'curated.interactions', 'curated.genres'),
  ];
  const estimates = new Map([['commerce', 0.15], ['plays', 0.1], ['interactions', 0.3], ['genres', 0.2]]);
  await runPipeline('t', steps, {}, { log: () => {}, concurrency: 1, estimates });
  assert.deepEqual(started, ['plays', 'interactions', 'genres', 'commerce']);
  started.length = 0;
  await runPipeline('t', steps, {}, { log: () => {}, concurrency: 1 });
  assert.deepEqual(started, ['commerce', 'plays', 'interactions', 'genres'], 'without estimates, list order');
});

test('dataflow resumed: the steps it reuses go before the steps that work, whatever their priority', async () => {
  const step = (name: string, input: string, output: string): Step<object> => ({ name, inputs: [input], outputs: [output], run: () => 1 });
  const steps = [step('a', 'raw.x', 'curated.a'), step('b', 'raw.y', 'curated.b'), step('c', 'curated.b', 'curated.c')];
  const estimates = new Map([['a', 0.1], ['b', 0.5], ['c', 0.5]]);
  const reuse = new Map([['a', { step: 'a', status: 'finished' as const, childRunId: null, outputs: { 'curated.a': 3 }, stats: {} }]]);
  const r = await runPipeline('t', steps, {}, { log: () => {}, concurrency: 1, estimates, reuse });
  assert.deepEqual(r.stages.map((x) => [x.name, x.status]), [['a', 'reused'], ['b', 'ok'], ['c', 'ok']]);
  const fresh = await runPipeline('t', steps, {}, { log: () => {}, concurrency: 1, estimates });
  assert.deepEqual(fresh.stages.map((x) => x.name), ['b', 'c', 'a'], 'not resumed: the longest chain first');
});

test('dataflow: a failing step lets the running ones finish, starts nothing more, and fails the pipeline', async () => {
  const slowStarted = signal();
  const ran: string[] = [];
  const steps: Step<object>[] = [
    {
      name: 'slow', inputs: ['raw.a'], outputs: ['curated.a'],
      run: async () => { slowStarted.fire(); await new Promise((r) => setTimeout(r, 30)); ran.push('slow'); },
    },
    { name: 'bad', inputs: ['raw.b'], outputs: ['curated.b'], run: async () => { await within(slowStarted.wait, 'slow starting'); throw new Error('boom'); } },
    { name: 'after-bad', inputs: ['curated.b'], outputs: ['curated.c'], run: () => { ran.push('after-bad'); } },
    // independent of both, but waiting for a free slot when bad fails: not started
    { name: 'other', inputs: ['raw.d'], outputs: ['curated.d'], run: () => { ran.push('other'); } },
  ];
  await assert.rejects(runPipeline('t', steps, {}, { log: () => {}, concurrency: 2 }), (e: unknown) => {
    assert.ok(e instanceof PipelineError);
    assert.equal(e.stage, 'bad');
    assert.match(e.message, /boom/);
    assert.deepEqual(e.stages.map((s) => [s.name, s.status]), [['bad', 'failed'], ['slow', 'ok']]);
    return true;
  });
  assert.deepEqual(ran, ['slow'], 'the running step finished; nothing started after the failure');
});

test('dataflow: a failing beforeStep hook stops the launch after the running steps finish', async () => {
  const ran: string[] = [];
  const steps: Step<object>[] = ['a', 'b', 'c'].map((n) => ({
    name: n, inputs: [`raw.${n}`], outputs: [`curated.${n}`], run: async () => { await new Promise((r) => setTimeout(r, 10)); ran.push(n); },
  }));
  await assert.rejects(
    runPipeline('t', steps, {}, { log: () => {}, concurrency: 3, beforeStep: (n) => { if (n === 'b') throw new Error('cancelled before b'); } }),
    /cancelled before b/,
  );
  assert.deepEqual(ran, ['a'], 'a, started before the hook failed, ran to its end');
});

test('a step\'s input stats: what it says it read, else its inputs\' live files from the catalog', async () => {
  const asked: string[] = [];
  const catalog = {
    currentSnapshot: async () => 1,
    liveFileStats: async (t: string) => { asked.push(t); return { files: 3, rows: 30, partitions: 2 }; },
    writtenSince: async () => ({ snapshot: 2, files: 1, removed: 0, rows: 5, partitions: ['dt=all'] }),
  } as unknown as NonNullable<Parameters<typeof runPipeline>[3]>['catalog'];
  const steps: Step<object>[] = [
    { name: 'says', inputs: ['raw.a'], outputs: ['curated.x'], run: () => ({ rowsIn: 7, filesRead: 1, partitionsRead: 1 }) },
    { name: 'silent', inputs: ['raw.a', 'raw.b'], outputs: ['curated.y'], run: () => ({}) },
  ];
  const r = await runPipeline('stats', steps, {}, { log: () => {}, catalog });
  const s = byName(r.stages);
  assert.deepEqual([s.get('says')!.stats!.rows_in, s.get('says')!.stats!.files_read, s.get('says')!.stats!.partitions_read], [7, 1, 1]);
  assert.deepEqual([s.get('silent')!.stats!.rows_in, s.get('silent')!.stats!.files_read, s.get('silent')!.stats!.partitions_read], [60, 6, 4]);
  assert.deepEqual(asked, ['raw.a', 'raw.b'], 'the catalog is asked only for the step that did not say');
});
