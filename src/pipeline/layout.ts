// Adaptive layout: how a run writes and compacts, chosen from the volume of its inputs (rows and
// bytes in the lake catalog) and recorded in the run (pipeline_runs.layout, and as params of the
// tracked run). The reasoning is in docs/decisions.md ("Pipelines").
import { defaultThreads } from '../util/workers.ts';

export interface Layout {
  /** what the choice was made from */
  input_rows: number;
  input_bytes: number;
  /** DuckDB and worker threads: one below ~8 MB of input (start-up costs more than it saves), else one per core */
  threads: number;
  /** compaction's and writes' target file size: 1/16 of the input, between 8 MB and 256 MB */
  target_file_bytes: number;
  /** Parquet row-group size: about 8 row groups per thread per target file, 16k..1M rows */
  row_group_rows: number;
  /** a partition is compacted once it holds this many files below the target */
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

export function chooseLayout(volume: { rows: number; bytes: number }, cores = defaultThreads()): Layout {
  const threads = volume.bytes < 8 * MB ? 1 : Math.max(1, cores);
  // power of two, so the same volume class always gives the same size
  const target = 2 ** Math.round(Math.log2(clamp(volume.bytes / 16, 8 * MB, 256 * MB)));
  const bytesPerRow = volume.rows > 0 ? volume.bytes / volume.rows : 64;
  const rowsPerFile = target / Math.max(1, bytesPerRow);
  const rowGroup = 2048 * Math.round(clamp(rowsPerFile / (8 * threads), 16_384, 1_048_576) / 2048);
  return {
    input_rows: volume.rows, input_bytes: volume.bytes, threads, target_file_bytes: target, row_group_rows: rowGroup,
    compact_min_files: 2,
    concurrent_steps: Math.min(8, 2 * Math.max(1, cores)),
    // raw tables are partitioned by event day (dt=) when they land; the curated tables a run
    // writes are one partition split into files of the target size: their readers scan them whole
    partitioning: 'none',
  };
}
