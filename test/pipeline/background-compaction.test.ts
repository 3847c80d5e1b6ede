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
import { landOlder, assertSameTables, landDimensions, landEvents } from '../fixtures/worlds.ts';

const quiet = () => {};

test('a build compacts raw tables and merged outputs beside its steps, to the tables of a full build', async () => {
  const a = tmpHome('trib-bgc-a-'), b = tmpHome('trib-bgc-b-');
  const wsA = await openWorkspace({ config: loadConfig({ home: a.home }) });
  const wsB = await openWorkspace({ config: loadConfig({ home: b.home }) });
  try {
    const { world, older, newer } = await landOlder(wsA, { users: 50, tracks: 200, days: 8, customers: 80, products: 40, months: 4, seed: 11 }, 0.15);
    await executePipeline(wsA, buildPipeline, { log: quiet, args: { concurrency: 3 } });
    // the newer events land in three interleaved batches, in partitions that already hold a file:
    // four files per partition, compaction's work (the layout compacts a tier of compact_min_files)
    for (let i = 0; i < 3; i++) await landEvents(wsA, newer.filter((_, k) => k % 3 === i));
    const filesPerPartition = async () => {
      const out = new Map<string, number>();
      for (const t of (await wsA.lake.catalog.tables()).filter((x) => x.zone === 'raw')) {
        for (const f of await wsA.lake.catalog.files(t.table)) out.set(`${t.table}/${f.partition}`, (out.get(`${t.table}/${f.partition}`) ?? 0) + 1);
      }
      return out;
    };
    const before = await filesPerPartition();
    const inc = await executePipeline(wsA, buildPipeline, { log: quiet, args: { concurrency: 3 } });
    const due = [...before].filter(([, n]) => n >= inc.layout.compact_min_files).map(([p]) => p);
    assert.ok(due.length > 0, `some raw partition holds ${inc.layout.compact_min_files} files before the build`);
    const after = await filesPerPartition();
    assert.deepEqual(due.filter((p) => after.get(p) !== 1), [], 'every raw partition due for compaction compacted');
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
