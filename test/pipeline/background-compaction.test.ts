// A build compacts beside its steps (src/pipeline/build.ts, BackgroundCompactions): the raw
// tables from the start, each model's output once its step has committed; the compact step
// waits for those, compacts what none covered, and reports them all. Real DuckDB and Parquet:
// the tables equal a full build's, the raw partitions that gained a file are compacted, and a
// second build over the same inputs commits nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { BackgroundCompactions, buildPipeline, discoverModels } from '../../src/pipeline/build.ts';
import type { PlanEnv } from '../../src/pipeline/execute.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { tmpHome } from '../helpers.ts';
import { assertSameTables, landDimensions, landEvents, splitWorld, worldEvents } from '../fixtures/worlds.ts';

const quiet = () => {};

test('a build compacts raw tables and merged outputs beside its steps, to the tables of a full build', async () => {
  const a = tmpHome('trib-bgc-a-'), b = tmpHome('trib-bgc-b-');
  const wsA = await openWorkspace({ config: loadConfig({ home: a.home }) });
  const wsB = await openWorkspace({ config: loadConfig({ home: b.home }) });
  try {
    const world = worldEvents({ users: 50, tracks: 200, days: 8, customers: 80, products: 40, months: 4, seed: 11 });
    const [older, newer] = splitWorld(world, 0.15);
    await landDimensions(wsA, world.dims);
    await landEvents(wsA, older);
    await executePipeline(wsA, buildPipeline, { log: quiet, args: { concurrency: 3 } });
    // the newer events land in partitions that already hold a file: compaction's work
    await landEvents(wsA, newer);
    const small = async () => {
      const out: string[] = [];
      for (const t of (await wsA.lake.catalog.tables()).filter((x) => x.zone === 'raw')) {
        const per = new Map<string, number>();
        for (const f of await wsA.lake.catalog.files(t.table)) per.set(f.partition, (per.get(f.partition) ?? 0) + 1);
        for (const [p, n] of per) if (n > 1) out.push(`${t.table}/${p}`);
      }
      return out;
    };
    assert.ok((await small()).length > 0, 'some raw partition holds two files before the build');
    const inc = await executePipeline(wsA, buildPipeline, { log: quiet, args: { concurrency: 3 } });
    assert.deepEqual(await small(), [], 'every raw partition compacted');
    const compact = inc.pipeline.stages.find((s) => s.name === 'compact')!;
    assert.match(compact.note ?? '', /[1-9]\d* partitions merged/);

    await landDimensions(wsB, world.dims);
    await landEvents(wsB, [...older, ...newer]);
    await executePipeline(wsB, buildPipeline, { full: true, log: quiet });
    await assertSameTables(wsA, wsB, discoverModels(), 'a full build');

    // idempotent: nothing to merge, nothing to compact
    const snaps = new Map((await wsA.lake.catalog.tables()).map((t) => [t.table, t.snapshot]));
    await executePipeline(wsA, buildPipeline, { log: quiet, args: { concurrency: 3 } });
    for (const [t, s] of snaps) assert.equal(await wsA.lake.catalog.currentSnapshot(t), s, `a second build committed to ${t}`);
  } finally {
    await wsA.close(); await wsB.close();
    a.cleanup(); b.cleanup();
  }
});

test('background compactions: one per table, and the first failure is the settle\'s', async () => {
  let calls = 0;
  const env = {
    ws: { lake: { catalog: { filesWithDeletes: async (t: string) => { calls++; throw new Error(`cannot read ${t}`); } } } },
    layout: { target_file_bytes: 1 << 20, compact_min_files: 2, row_group_rows: 1000 },
  } as unknown as Pick<PlanEnv, 'ws' | 'layout'>;
  const c = new BackgroundCompactions(env);
  c.start('raw.play');
  c.start('raw.play');
  c.start('raw.skip');
  await assert.rejects(c.settle(), /cannot read raw\.play/);
  assert.equal(calls, 2);
  assert.deepEqual([...c.tables].sort(), ['raw.play', 'raw.skip']);
});
