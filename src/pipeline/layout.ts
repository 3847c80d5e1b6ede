// Adaptive layout: how a run writes and compacts, chosen from the volume of its inputs (rows and
// bytes in the lake catalog) and recorded in the run (pipeline_runs.layout, and as params of the
// tracked run). The reasoning is in docs/decisions.md ("Pipelines").
import { defaultThreads } from '../util/workers.ts';

export interface Layout {
  /** what the choice was made from */
  input_rows: number;
  input_bytes: number;
  /**
   * what the run reads: its input, or in an incremental run what was committed to its inputs
   * since its watermarks (the threads are chosen from it)
   */
  read_rows: number;
  read_bytes: number;
  /**
   * DuckDB and worker threads: one below ~8 MB read (start-up costs more than it saves), else one
   * per core. Held on DuckDB while the run lasts (holdThreads).
   */
  threads: number;
  /** compaction's and writes' target file size: 1/16 of the input, between 8 MB and 256 MB */
  target_file_bytes: number;
  /** Parquet row-group size: about 8 row groups per thread per target file, 16k..1M rows */
  row_group_rows: number;
  /**
   * a size tier of a partition is compacted once it holds this many files: four, Cassandra's
   * size-tiered min_threshold. With two, every merge's small file was rewritten by the build that
   * made it (a merge adds one per table per run: ~10 compactions in a 1% build); with four, once
   * every third run, and a reader opens at most three more small files meanwhile.
   */
  compact_min_files: number;
  /** partition granularity of the tables the run writes */
  partitioning: 'none' | 'dt';
  /**
   * Steps run at once by a pipeline run as a dataflow (the build's models): two per core, at
   * most 8. A model step is as much waiting (catalog, statements of a few ms, binds) as work, so
   * two per core keep the cores busy; more did nothing on 2 cores, and the build is rarely wider.
   */
  concurrent_steps: number;
}

const MB = 1 << 20;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * `read`: what the run reads when less than its whole input (an incremental run). Sizes of what
 * it writes come from the whole input (the tables it merges into are that big); threads from
 * what it reads: a 1% run's statements each touch a few thousand rows, and steps run side by
 * side (concurrent_steps), so a second thread per statement only adds its scheduling (a 1% build
 * at 4x: -30% CPU, -20% wall time with one).
 */
export function chooseLayout(volume: { rows: number; bytes: number }, cores = defaultThreads(), read = volume): Layout {
  const threadsFor = (v: { bytes: number }) => (v.bytes < 8 * MB ? 1 : Math.max(1, cores));
  const threads = threadsFor(read);
  // power of two, so the same volume class always gives the same size
  const target = 2 ** Math.round(Math.log2(clamp(volume.bytes / 16, 8 * MB, 256 * MB)));
  const bytesPerRow = volume.rows > 0 ? volume.bytes / volume.rows : 64;
  const rowsPerFile = target / Math.max(1, bytesPerRow);
  // row groups are for the files' later readers, which scan the whole table
  const rowGroup = 2048 * Math.round(clamp(rowsPerFile / (8 * threadsFor(volume)), 16_384, 1_048_576) / 2048);
  return {
    input_rows: volume.rows, input_bytes: volume.bytes, read_rows: read.rows, read_bytes: Math.round(read.bytes),
    threads, target_file_bytes: target, row_group_rows: rowGroup,
    compact_min_files: 4,
    concurrent_steps: Math.min(8, 2 * Math.max(1, cores)),
    // raw tables are partitioned by event day (dt=) when they land; the curated tables a run
    // writes are one partition split into files of the target size: their readers scan them whole
    partitioning: 'none',
  };
}
