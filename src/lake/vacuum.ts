// Vacuum: removes what a killed compaction, build or flush left behind. A lake file is written
// first and committed after, so a process killed in between leaves a file that no snapshot
// lists, and its staging folder; nothing else ever deletes them. Vacuum deletes files under the
// lake root that no snapshot (current or old) references, and staging entries, once they are
// older than a grace period: a file younger than that may be a write in progress that is about
// to be committed (the same rule as Delta's VACUUM retention and Iceberg's remove_orphan_files
// older_than). Files retired by compaction are still referenced by old snapshots and are kept,
// so pinned readers keep working. Empty partition folders go too.
import { readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Lake } from './lake.ts';

/** Files younger than this are left alone: they may belong to a write not yet committed. */
export const VACUUM_MIN_AGE_MS = 60 * 60 * 1000;

export interface VacuumResult {
  /** unreferenced lake files removed (or that would be, with dryRun) */
  files: number;
  bytes: number;
  /** staging entries removed */
  staging: number;
  /** unreferenced files kept because they are younger than the grace period */
  young: number;
  /** lake-relative paths removed */
  removed: string[];
}

export async function vacuumLake(lake: Lake, opts: { minAgeMs?: number; dryRun?: boolean; log?: (m: string) => void } = {}): Promise<VacuumResult> {
  const minAge = opts.minAgeMs ?? VACUUM_MIN_AGE_MS;
  // listed before the catalog is read: a file committed between the two reads is then
  // referenced by the time it is checked
  const now = Date.now();
  const onDisk = walk(lake.root);
  const referenced = await lake.catalog.referencedPaths();
  const out: VacuumResult = { files: 0, bytes: 0, staging: 0, young: 0, removed: [] };
  for (const abs of onDisk) {
    const rel = relative(lake.root, abs);
    if (referenced.has(rel)) continue;
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) continue;
    if (now - st.mtimeMs < minAge) { out.young++; continue; }
    if (!opts.dryRun) rmSync(abs, { force: true });
    out.files++; out.bytes += st.size; out.removed.push(rel);
  }
  const staging = join(lake.opts.home, 'staging');
  for (const name of safeList(staging)) {
    const p = join(staging, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st || now - st.mtimeMs < minAge) continue;
    if (!opts.dryRun) rmSync(p, { recursive: true, force: true });
    out.staging++;
  }
  if (!opts.dryRun) {
    // folders this vacuum emptied, or left alone longer than the grace period
    const emptied = new Set<string>();
    for (const rel of out.removed) for (let d = dirname(join(lake.root, rel)); d.startsWith(lake.root) && d !== lake.root; d = dirname(d)) emptied.add(d);
    removeEmptyDirs(lake.root, true, (d, mtime) => emptied.has(d) || mtime <= now - minAge);
  }
  opts.log?.(`vacuum: ${out.files} unreferenced files (${(out.bytes / 1e6).toFixed(2)} MB) and ${out.staging} staging ` +
    `entries ${opts.dryRun ? 'would be ' : ''}removed; ${out.young} recent ones kept`);
  return out;
}

function safeList(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of safeListEntries(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function safeListEntries(dir: string) {
  try { return readdirSync(dir, { withFileTypes: true }); } catch { return []; }
}

/** Removes empty folders below dir (not dir itself when keep) that `may` allows (a writer may have just made one). */
function removeEmptyDirs(dir: string, keep: boolean, may: (dir: string, mtimeMs: number) => boolean): boolean {
  let empty = true;
  for (const e of safeListEntries(dir)) {
    if (e.isDirectory() && removeEmptyDirs(join(dir, e.name), false, may)) continue;
    empty = false;
  }
  if (empty && !keep) {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st || !may(dir, st.mtimeMs)) return false;
    try { rmdirSync(dir); } catch { return false; }
  }
  return empty;
}
