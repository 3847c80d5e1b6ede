// Compaction: many small files (one per flushed segment and partition) make scans slow. Files of
// a partition are merged into one when there are at least `minFiles` of them, in a 'compact'
// snapshot that retires the small files atomically. Old snapshots still list the old files,
// which stay on disk, so pinned readers keep working.
import { join } from 'node:path';
import { sqlList, sqlString } from './duck.ts';
import type { Lake } from './lake.ts';
import type { LakeFile } from './catalog.ts';
import { statSync } from 'node:fs';

export interface CompactionResult {
  table: string;
  partitions: number;
  filesBefore: number;
  filesAfter: number;
  snapshot?: number;
}

export async function compactTable(lake: Lake, table: string, opts: { minFiles?: number; maxFileBytes?: number } = {}): Promise<CompactionResult> {
  const minFiles = opts.minFiles ?? 4;
  const small = opts.maxFileBytes ?? 64 << 20;
  const files = await lake.catalog.files(table);
  const byPartition = new Map<string, LakeFile[]>();
  for (const f of files) {
    if (f.bytes >= small) continue;
    let g = byPartition.get(f.partition);
    if (!g) byPartition.set(f.partition, (g = []));
    g.push(f);
  }
  const add: LakeFile[] = [];
  const remove: string[] = [];
  for (const [partition, group] of byPartition) {
    if (group.length < minFiles) continue;
    const rel = join(group[0]!.path, '..', `compact-${Date.now().toString(36)}-${process.pid}-${add.length}.parquet`);
    const abs = join(lake.root, rel);
    const sources = group.map((f) => join(lake.root, f.path));
    await lake.conn.run(`COPY (SELECT * FROM read_parquet(${sqlList(sources)}, union_by_name = true)) TO ${sqlString(abs)} (FORMAT PARQUET, COMPRESSION ZSTD)`);
    add.push({ path: rel, partition, rows: group.reduce((a, f) => a + f.rows, 0), bytes: statSync(abs).size });
    remove.push(...group.map((f) => f.path));
  }
  const result: CompactionResult = { table, partitions: add.length, filesBefore: files.length, filesAfter: files.length - remove.length + add.length };
  if (add.length) {
    const snaps = await lake.catalog.commit([{ table, add, remove, operation: 'compact' }]);
    result.snapshot = snaps.get(table);
  }
  return result;
}
