// The pipeline runner's concurrent groups (src/pipeline/runner.ts), as the retail pipeline uses
// them for forecast, spend and segmentation: the steps of a group overlap, every one is timed
// and logged, and a failing step lets its siblings finish before the pipeline error is raised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineError, runPipeline, type StepOrGroup } from '../../../src/pipeline/runner.ts';

test('a group of steps runs concurrently and each is recorded', async () => {
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const lines: string[] = [];
  const steps: StepOrGroup<object>[] = [
    { name: 'first', run: () => { order.push('first'); return 1; } },
    [
      // waits for its sibling: finishes only if both run at the same time
      { name: 'waiter', run: async () => { await gate; order.push('waiter'); return { rows: 2, note: 'released' }; } },
      { name: 'releaser', run: async () => { order.push('releaser'); release(); return 3; } },
    ],
    { name: 'last', run: () => { order.push('last'); } },
  ];
  const r = await runPipeline('t', steps, {}, { log: (l) => lines.push(l) });
  assert.deepEqual(order, ['first', 'releaser', 'waiter', 'last']);
  assert.deepEqual(r.stages.map((s) => [s.name, s.rows, s.status]), [['first', 1, 'ok'], ['releaser', 3, 'ok'], ['waiter', 2, 'ok'], ['last', null, 'ok']]);
  assert.equal(lines.length, 4);
  assert.match(lines[2]!, /^\[t 3\/4\] waiter .* 2 rows {2}released$/);
});

test('a failing step of a group lets the others finish, then fails the pipeline', async () => {
  let siblingDone = false, after = false;
  const steps: StepOrGroup<object>[] = [
    [
      { name: 'bad', run: async () => { throw new Error('boom'); } },
      { name: 'slow', run: async () => { await new Promise((r) => setTimeout(r, 20)); siblingDone = true; } },
    ],
    { name: 'after', run: () => { after = true; } },
  ];
  await assert.rejects(runPipeline('t', steps, {}, { log: () => {} }), (e: unknown) => {
    assert.ok(e instanceof PipelineError);
    assert.equal(e.stage, 'bad');
    assert.match(e.message, /boom/);
    assert.deepEqual(e.stages.map((s) => [s.name, s.status]), [['bad', 'failed'], ['slow', 'ok']]);
    return true;
  });
  assert.ok(siblingDone, 'the sibling ran to its end');
  assert.ok(!after, 'no step after the failed group');
});

test('duplicate step names are refused, inside groups too', async () => {
  await assert.rejects(runPipeline('t', [{ name: 'a', run: () => {} }, [{ name: 'a', run: () => {} }]], {}), /duplicate step name "a"/);
});
