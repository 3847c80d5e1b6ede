// Compaction: many small files (one per flushed segment and partition) make scans slow. The
// small files of each partition (below the target size) are packed, by size tier and smallest
// first, into groups of at most `targetFileBytes`, and each group of two or more becomes one file, written with the
// layout's row-group size, in a 'compact' snapshot that retires the small files atomically.
// Old snapshots still list the old files, which stay on disk, so pinned readers keep working.
// Files never merge across partitions: a dt= partition is part of a row's identity (views read
// it from the path).
// Deletes on read (src/lake/deletes.ts) are folded in here: a merged file is written without
// its inputs' deleted rows, and a data file whose delete files have grown (FOLD_SHARE of its
// rows, or FOLD_FILES delete files) is rewritten alone; either way the commit retires its
// delete files with it.
import { join } from 'node:path';
import { copyToParquet } from './duck.ts';
import { scanSql } from './deletes.ts';
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
  /** rewrite every data file that has delete files, whatever their share (default: by FOLD_SHARE, FOLD_FILES) */
  foldDeletes?: boolean;
}

/** A data file is rewritten without its deleted rows once they are this share of its rows... */
export const FOLD_SHARE = 0.1;
/** ...or once this many delete files apply to it (each is one more file for every reader to open). */
export const FOLD_FILES = 8;

export interface CompactionResult {
  table: string;
  partitions: number;
  filesBefore: number;
  filesAfter: number;
  bytesRewritten: number;
  /** delete files folded into rewritten data files */
  deletesFolded: number;
  snapshot?: number;
}

/** Files of one size tier are within a factor of TIER_RATIO of each other (above TIER_BASE). */
const TIER_RATIO = 4;
const TIER_BASE = 256 << 10;

/** A file's size tier: 0 below 256 KB, then one tier per factor of 4. */
export function sizeTier(bytes: number): number {
  return bytes < TIER_BASE ? 0 : 1 + Math.floor(Math.log(bytes / TIER_BASE) / Math.log(TIER_RATIO));
}

/**
 * Groups a partition's small files toward the target size, size-tiered (as Cassandra's and
 * RocksDB's universal compaction do): files merge only with files of their own size tier, so a
 * run that added a few small files merges those, never the big file they sit next to. Each row
 * is rewritten about log4(target / 256 KB) times over its life, not once per run, and a
 * partition keeps at most a few files per tier. Within a tier, first-fit over the files sorted
 * by size, so a group never exceeds the target (the sizes are of compressed Parquet; a merged
 * file compresses at least as well, so it stays under). A tier is merged once it holds
 * `minFiles` files.
 */
export function planGroups(files: LakeFile[], target: number, minFiles = 2): LakeFile[][] {
  const tiers = new Map<number, LakeFile[]>();
  for (const f of files) {
    const t = sizeTier(f.bytes);
    let g = tiers.get(t);
    if (!g) tiers.set(t, (g = []));
    g.push(f);
  }
  const out: LakeFile[][] = [];
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    const inTier = tiers.get(tier)!;
    if (inTier.length < minFiles) continue;
    const groups: { files: LakeFile[]; bytes: number }[] = [];
    for (const f of [...inTier].sort((a, b) => a.bytes - b.bytes || (a.path < b.path ? -1 : 1))) {
      const g = groups.find((x) => x.bytes + f.bytes <= target);
      if (g) { g.files.push(f); g.bytes += f.bytes; } else groups.push({ files: [f], bytes: f.bytes });
    }
    out.push(...groups.map((g) => g.files).filter((g) => g.length >= 2));
  }
  return out;
}

export async function compactTable(lake: Lake, table: string, opts: CompactionOptions = {}): Promise<CompactionResult> {
  const minFiles = opts.minFiles ?? 2;
  const target = opts.targetFileBytes ?? opts.maxFileBytes ?? 64 << 20;
  const { files, deletes } = await lake.catalog.filesWithDeletes(table);
  const deleted = new Map<string, { rows: number; files: number }>();
  for (const d of deletes) {
    const x = deleted.get(d.of) ?? { rows: 0, files: 0 };
    x.rows += d.rows; x.files++;
    deleted.set(d.of, x);
  }
  const mustFold = (f: LakeFile) => {
    const d = deleted.get(f.path);
    return !!d && (opts.foldDeletes || d.rows >= FOLD_SHARE * f.rows || d.files >= FOLD_FILES);
  };
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
  const groups: LakeFile[][] = [];
  for (const small of byPartition.values()) if (small.length >= minFiles) groups.push(...planGroups(small, target, minFiles));
  // files whose deletes must be folded and that no group rewrites: each rewritten alone
  const grouped = new Set(groups.flat().map((f) => f.path));
  for (const f of files) if (mustFold(f) && !grouped.has(f.path)) groups.push([f]);
  let deletesFolded = 0;
  for (const group of groups) {
    const partition = group[0]!.partition;
    const rel = join(group[0]!.path, '..', `compact-${Date.now().toString(36)}-${process.pid}-${add.length}.parquet`);
    // hive_partitioning off: the dt= folder is not a column of the files, and must not become one
    const { rows, bytes } = await copyToParquet(lake.conn, scanSql(lake.root, group, deletes, { hive: false }), join(lake.root, rel), {
      rowGroupRows: opts.rowGroupRows,
    });
    const expected = group.reduce((a, f) => a + f.rows - (deleted.get(f.path)?.rows ?? 0), 0);
    if (rows !== expected) throw new Error(`compaction of ${table}: wrote ${rows} rows, expected ${expected} (a delete file names a missing row?)`);
    add.push({ path: rel, partition, rows, bytes });
    remove.push(...group.map((f) => f.path));
    deletesFolded += group.reduce((a, f) => a + (deleted.get(f.path)?.files ?? 0), 0);
    bytesRewritten += group.reduce((a, f) => a + f.bytes, 0);
    partitions.add(partition);
  }
  const result: CompactionResult = {
    table,
    partitions: partitions.size,
    filesBefore: files.length,
    filesAfter: files.length - remove.length + add.length,
    bytesRewritten,
    deletesFolded,
  };
  if (add.length) {
    const snaps = await lake.catalog.commit([{ table, add, remove, operation: 'compact' }], { summary: {
      target_file_bytes: target,
      merged_files: remove.length,
      deletes_folded: deletesFolded,
    } });
    result.snapshot = snaps.get(table);
  }
  return result;
}
