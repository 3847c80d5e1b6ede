// An SQL model built incrementally. Each input's change since the step's watermark (the snapshot
// it last consumed) is read from the catalog alone: the rows of the files live now and not then,
// and (when files were retired: compaction, replace, merge) the rows of those retired files,
// minus what both sides hold (EXCEPT ALL, so a compaction's rewritten rows cancel out). The
// model's scope columns of those changed rows are the values to recompute; the model's SELECT
// then runs with every input restricted to those values (inputs lacking the scope columns are
// read whole, and if such an input changed, the model rebuilds); the recomputed rows are compared
// with the stored rows of the same scope, and only the difference is merged by key
// (src/lake/merge.ts). So the result equals a rebuild, and a second run over the same inputs
// changes nothing. Models without a merge key rebuild (and say so).
// The pieces live in incremental/: changes.ts (what changed, from the catalog), diff.ts (temp
// tables, the diff by key and its merge), rebuild.ts, by-day.ts and by-scope.ts (the two merges).
import type { SqlModel } from './models.ts';
import type { Warehouse } from './session.ts';
import { mergeByDay } from './incremental/by-day.ts';
import { mergeByDelta } from './incremental/by-delta.ts';
import { mergeByGroups } from './incremental/by-groups.ts';
import { mergeByScope } from './incremental/by-scope.ts';
import { unchangedSince } from './incremental/changes.ts';
import type { IncrementalOutcome, Layout } from './incremental/diff.ts';
import { rebuild, recomputeAll } from './incremental/rebuild.ts';

export type { IncrementalOutcome } from './incremental/diff.ts';
export { withInputs } from './incremental/diff.ts';

export async function buildModelIncrementally(
  wh: Warehouse,
  m: SqlModel,
  opts: { watermarks: Map<string, number>; full?: boolean; layout?: Layout },
): Promise<IncrementalOutcome> {
  // the snapshot of each input as this session reads it: what the step consumes
  const marks: Record<string, number> = {};
  for (const i of m.inputs) marks[i] = wh.snapshots.get(i) ?? 0;
  const inc = m.incremental;
  if (opts.full) return rebuild(wh, m, opts.layout, marks, 'full build');
  if (!(await wh.lake.catalog.tableExists(m.table))) return rebuild(wh, m, opts.layout, marks, 'first build');
  const missing = m.inputs.filter((i) => !opts.watermarks.has(i));
  if (missing.length) return rebuild(wh, m, opts.layout, marks, `no watermark yet for ${missing.join(', ')}`);
  // inputs whose rows changed since the watermark (a compaction moves rows, it changes none)
  const changed: string[] = [];
  for (const i of m.inputs) {
    const from = opts.watermarks.get(i)!, to = marks[i]!;
    if (!(await unchangedSince(wh, i, from, to))) changed.push(i);
  }
  if (!changed.length) {
    // rows from the catalog: counting the view would scan a table with deletes on read
    return {
      mode: 'unchanged',
      note: 'no input changed since the last build',
      rowsOut: await wh.lake.catalog.rowCount(m.table),
      rowsIn: 0,
      inserted: 0,
      deleted: 0,
      scopeValues: 0,
      filesRead: 0,
      partitionsRead: 0,
      watermarks: marks,
    };
  }
  if (!inc) return recomputeAll(wh, m, opts.layout, marks, `an aggregate without a merge key cannot be merged; ${changed.join(', ')} changed`);
  if (m.groupDelta) {
    const grouped = await mergeByGroups(wh, m, inc, opts, marks, changed);
    if (grouped) return grouped;
  }
  if (inc.scope.length === 1 && inc.scope[0] === m.partition) return mergeByDay(wh, m, inc.key, opts, marks, changed);
  return (await mergeByDelta(wh, m, inc, opts, marks, changed)) ?? mergeByScope(wh, m, inc, opts, marks, changed);
}
