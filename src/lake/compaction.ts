// Compaction: many small files (one per flushed segment and partition) make scans slow. The
// small files of each partition (below the target size) are packed, smallest first, into groups
// of at most `targetFileBytes`, and each group of two or more becomes one file, written with the
// layout's row-group size, in a 'compact' snapshot that retires the small files atomically.
// Old snapshots still list the old files, which stay on disk, so pinned readers keep working.
// Files never merge across partitions: a dt= partition is part of a row's identity (views read
// it from the path).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sqlList, sqlString } from './duck.ts';
import type { Lake } from './lake.ts';
import type { LakeFile } from './catalog.ts';

export interface CompactionOptions {
  /** a merged file's size ceiling; files at or above it are left alone (default 64 MB) */
  targetFileBytes?: number;
  /** merge a partition's small files only when it holds at least this many (default 2) */
  minFiles?: number;
  /** Parquet row-group size of the merged files (DuckDB's default when absent) */
  rowGroupRows?: number;
  /** @deprecated the old name of targetFileBytes */
  maxFileBytes?: number;
}

export interface CompactionResult {
  table: string;
  partitions: number;
  filesBefore: number;
  filesAfter: number;
  bytesRewritten: number;
  snapshot?: number;
}

/**
 * Groups a partition's small files toward the target size: first-fit over the files sorted by
 * size, so many tiny files fill a group and a group never exceeds the target (the sizes are of
 * compressed Parquet; a merged file compresses at least as well, so it stays under).
 */
export function planGroups(files: LakeFile[], target: number): LakeFile[][] {
  const groups: { files: LakeFile[]; bytes: number }[] = [];
  for (const f of [...files].sort((a, b) => a.bytes - b.bytes || (a.path < b.path ? -1 : 1))) {
    const g = groups.find((x) => x.bytes + f.bytes <= target);
    if (g) { g.files.push(f); g.bytes += f.bytes; } else groups.push({ files: [f], bytes: f.bytes });
  }
  return groups.map((g) => g.files).filter((g) => g.length >= 2);
}

export async function compactTable(lake: Lake, table: string, opts: CompactionOptions = {}): Promise<CompactionResult> {
  const minFiles = opts.minFiles ?? 2;
  const target = opts.targetFileBytes ?? opts.maxFileBytes ?? 64 << 20;
  const files = await lake.catalog.files(table);
  const byPartition = new Map<string, LakeFile[]>();
  for (const f of files) {
    if (f.bytes >= target) continue;
    let g = byPartition.get(f.partition);
    if (!g) byPartition.set(f.partition, (g = []));
    g.push(f);
  }
  const add: LakeFile[] = [];
  const remove: string[] = [];
  let bytesRewritten = 0;
  const partitions = new Set<string>();
  const rowGroup = opts.rowGroupRows ? `, ROW_GROUP_SIZE ${Math.max(2048, Math.round(opts.rowGroupRows))}` : '';
  for (const [partition, small] of byPartition) {
    if (small.length < minFiles) continue;
    for (const group of planGroups(small, target)) {
      const rel = join(group[0]!.path, '..', `compact-${Date.now().toString(36)}-${process.pid}-${add.length}.parquet`);
      const abs = join(lake.root, rel);
      const sources = group.map((f) => join(lake.root, f.path));
      // hive_partitioning off: the dt= folder is not a column of the files, and must not become one
      await lake.conn.run(`COPY (SELECT * FROM read_parquet(${sqlList(sources)}, union_by_name = true, hive_partitioning = false)) TO ${sqlString(abs)} (FORMAT PARQUET, COMPRESSION ZSTD${rowGroup})`);
      add.push({ path: rel, partition, rows: group.reduce((a, f) => a + f.rows, 0), bytes: statSync(abs).size });
      remove.push(...group.map((f) => f.path));
      bytesRewritten += group.reduce((a, f) => a + f.bytes, 0);
      partitions.add(partition);
    }
  }
  const result: CompactionResult = { table, partitions: partitions.size, filesBefore: files.length, filesAfter: files.length - remove.length + add.length, bytesRewritten };
  if (add.length) {
    const snaps = await lake.catalog.commit([{ table, add, remove, operation: 'compact' }], { summary: { target_file_bytes: target, merged_files: remove.length } });
    result.snapshot = snaps.get(table);
  }
  return result;
}
