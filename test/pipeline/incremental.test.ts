// An incremental build over new partitions gives the same curated tables as a full rebuild over
// all of them: for every model with a merge key, on generated worlds of several sizes, with
// replayed events (same event_id) in the new batches, built in two incremental runs. A further
// build over the same inputs commits nothing (idempotence). Merges delete a few rows of big
// files on read (delete files); compaction folding those in leaves the same rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { buildPipeline, discoverModels } from '../../src/pipeline/build.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { compactTable } from '../../src/lake/compaction.ts';
import { checkLake } from '../../src/lake/check.ts';
import { tmpHome } from '../helpers.ts';
import { landOlder, landEvents, type WorldSize, tableContents } from '../fixtures/worlds.ts';

const SIZES: [string, WorldSize][] = [
  ['tiny', { users: 25, tracks: 120, days: 6, customers: 30, products: 25, months: 4, seed: 7 }],
  ['small', { users: 70, tracks: 300, days: 10, customers: 100, products: 50, months: 6, seed: 8 }],
  ['medium', { users: 160, tracks: 600, days: 14, customers: 260, products: 90, months: 9, seed: 9 }],
];

const INCREMENTAL = discoverModels().filter((m) => m.incremental).map((m) => m.table);
// the keyless aggregates too (recomputed from merged tables: commerce_churn from
// commerce_churn_customers, genre transitions from their daily rows)
const ALL = discoverModels().map((m) => m.table);


const quiet = () => {};

for (const [label, size] of SIZES) {
  test(`incremental build over new partitions equals a full rebuild (${label} world)`, async () => {
    const { home, cleanup } = tmpHome('trib-inc-');
    const ws = await openWorkspace({ config: loadConfig({ home }) });
    try {
      const { older, newer } = await landOlder(ws, size, 0.15);
      await executePipeline(ws, buildPipeline, { log: quiet });

      // the new days in two batches, each built incrementally (the second reads what the first
      // merged and compacted through their change feeds), plus a replay of some older events
      // (same event_id): counted once
      const replayed = older.filter((_, i) => i % 97 === 0);
      const half = Math.floor(newer.length / 2);
      await landEvents(ws, newer.slice(0, half));
      const between = await executePipeline(ws, buildPipeline, { log: quiet });
      await landEvents(ws, [...newer.slice(half), ...replayed]);
      const inc = await executePipeline(ws, buildPipeline, { log: quiet });
      const merged = inc.pipeline.stages.filter((s) => /merged by/.test(s.note ?? '')).map((s) => s.name);
      assert.ok(merged.includes('plays') && merged.includes('orders') && merged.includes('music_interactions_daily'), `merged steps: ${merged.join(', ')}`);
      // the genre transitions recompute only the users' days the new plays touch (a group delta)
      const transitions = inc.pipeline.stages.find((s) => s.name === 'music_genre_transitions_daily')?.note ?? '';
      assert.match(transitions, /from the group delta of curated\.plays/, transitions);
      // a few rows deleted from big files are skipped on read (delete files), not rewritten
      const onRead = [...between.pipeline.stages, ...inc.pipeline.stages].filter((s) => /[1-9]\d* deleted on read/.test(s.note ?? '')).map((s) => s.name);
      assert.ok(onRead.length > 0, 'some merge deleted rows on read');
      const after = new Map<string, string[]>();
      for (const t of ALL) after.set(t, await tableContents(ws, t));

      // idempotence: the same inputs again change nothing
      const snaps = new Map((await ws.lake.catalog.tables()).map((t) => [t.table, t.snapshot]));
      const again = await executePipeline(ws, buildPipeline, { log: quiet });
      for (const t of discoverModels().map((m) => m.table)) {
        assert.equal(await ws.lake.catalog.currentSnapshot(t), snaps.get(t), `a second build over the same inputs committed to ${t}`);
      }
      assert.ok(again.pipeline.stages.every((s) => s.name === 'compact' || /no input changed/.test(s.note ?? '')), 'every model step is unchanged');

      // compaction folds every delete file into its data file: the same rows
      let folded = 0;
      for (const t of INCREMENTAL) folded += (await compactTable(ws.lake, t, { foldDeletes: true })).deletesFolded;
      // (the builds' own compact steps fold files whose deletes have grown: FOLD_SHARE, FOLD_FILES)
      const foldedByBuilds = [...between.pipeline.stages, ...inc.pipeline.stages].filter((s) => s.name === 'compact' && /delete files folded/.test(s.note ?? '')).length;
      assert.ok(folded + foldedByBuilds > 0, 'delete files were folded');
      await ws.wh.refresh();
      for (const t of INCREMENTAL) assert.deepEqual(await tableContents(ws, t), after.get(t), `${t}: folding its deletes changed its rows`);
      assert.deepEqual((await checkLake(ws.lake)).problems, []);

      const full = await executePipeline(ws, buildPipeline, { full: true, log: quiet });
      assert.equal(full.mode, 'full');
      for (const t of ALL) {
        const rebuilt = await tableContents(ws, t);
        // (a small world may have no churn cutoff nor recommendation yet)
        assert.ok(rebuilt.length > 0 || t.includes('acceptance') || !INCREMENTAL.includes(t), `${t} is empty`);
        assert.deepEqual(after.get(t), rebuilt, `${t}: incremental differs from the full rebuild`);
      }
      // replayed events were not counted twice
      const [dup] = await ws.wh.query<{ n: number; d: number }>(`SELECT count(*)::BIGINT AS n, count(DISTINCT event_id)::BIGINT AS d FROM curated.plays`);
      assert.equal(dup!.n, dup!.d);
    } finally {
      await ws.close();
      cleanup();
    }
  });
}
