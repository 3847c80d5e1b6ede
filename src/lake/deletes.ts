// Deletes on read, as Iceberg's positional delete files and Delta's deletion vectors do: a merge
// that removes a few rows from a big data file does not rewrite it; it writes a small delete file
// listing those rows' positions (0-based row numbers in the data file), and every reader skips
// them. A data file may gather several delete files (one per merge that hit it); compaction
// folds them in by rewriting the data file without its deleted rows, which retires the data file
// and its delete files in one commit (src/lake/compaction.ts).
// Positions, not keys: a delete names exactly one stored row, so a row re-inserted under the
// same key by the same merge (an update) is never hidden by it.
import { dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DeleteFile, LakeFile } from './catalog.ts';
import { copyToParquet, sqlIdent, sqlList, sqlString } from './duck.ts';

/** The column of a delete file: the deleted row's position in its data file. */
export const POSITION_COLUMN = 'pos';

/** The one partition of a table written whole (curated tables, merges' files): no dt= column of its own. */
export const UNPARTITIONED = 'dt=all';

/** read_parquet's extra columns while deletes are applied (removed from what a reader sees). */
const FILE = '_lake_file', ROW = 'file_row_number';

export interface ScanOptions {
  /**
   * false: the dt= folder is not read as a column (what the files themselves hold). Unset: read
   * as a column unless every file is in the one `dt=all` folder of an unpartitioned table, where
   * it would add a column that says nothing (and hide a `dt` the files hold: an event table's day)
   */
  hive?: boolean;
  /** name of an extra column with each row's data file (absolute path, as read) */
  fileColumn?: string;
  /** name of an extra column with each row's position in its data file */
  rowColumn?: string;
  /** more rows to skip: a relation of (f: absolute data file path, pos) */
  extraDeletes?: string;
}

/**
 * SQL reading data files (lake-relative paths under `root`) with their delete files applied.
 * Without deletes or extra columns it is the plain read_parquet a reader used before.
 */
export function scanSql(root: string, files: LakeFile[], deletes: DeleteFile[], opts: ScanOptions = {}): string {
  const abs = files.map((f) => join(root, f.path));
  const unpartitioned = files.length > 0 && files.every((f) => f.partition === UNPARTITIONED);
  const hive = opts.hive === false || (opts.hive === undefined && unpartitioned) ? ', hive_partitioning = false' : '';
  const mine = new Set(files.map((f) => f.path));
  const relevant = deletes.filter((d) => mine.has(d.of));
  const skip = [
    ...relevant.map((d) => `SELECT ${sqlString(join(root, d.of))} AS f, ${POSITION_COLUMN} AS pos
      FROM read_parquet(${sqlString(join(root, d.path))}, hive_partitioning = false)`),
    ...(opts.extraDeletes ? [`SELECT f, pos FROM ${opts.extraDeletes}`] : []),
  ];
  if (!skip.length && !opts.fileColumn && !opts.rowColumn) return `SELECT * FROM read_parquet(${sqlList(abs)}, union_by_name = true${hive})`;
  const extra = [
    ...(opts.fileColumn ? [`x.${FILE} AS ${sqlIdent(opts.fileColumn)}`] : []),
    ...(opts.rowColumn ? [`x.${ROW} AS ${sqlIdent(opts.rowColumn)}`] : []),
  ];
  return `SELECT x.* EXCLUDE (${FILE}, ${ROW})${extra.map((e) => `, ${e}`).join('')}
    FROM read_parquet(${sqlList(abs)}, union_by_name = true, filename = '${FILE}', file_row_number = true${hive}) x`
    + (skip.length ? `\n    ANTI JOIN (${skip.join(' UNION ALL ')}) d ON x.${FILE} = d.f AND x.${ROW} = d.pos` : '');
}

/**
 * Writes one delete file per data file hit: `positions` is a relation of (f: absolute data file
 * path, pos). Written before the commit that names them (a process killed in between leaves
 * unreferenced files for vacuum).
 */
export async function writeDeleteFiles(
  conn: DuckDBConnection, root: string, targets: LakeFile[], positions: string, counts: Map<string, number>, tag: string,
): Promise<DeleteFile[]> {
  const out: DeleteFile[] = [];
  for (const [i, t] of targets.entries()) {
    const rel = join(dirname(t.path), '_deletes', `del-${tag}-${i}.parquet`);
    const query = `SELECT pos AS ${POSITION_COLUMN} FROM ${positions} WHERE f = ${sqlString(join(root, t.path))} ORDER BY pos`;
    const { rows, bytes } = await copyToParquet(conn, query, join(root, rel));
    if (rows !== counts.get(t.path)) throw new Error(`delete file for ${t.path}: wrote ${rows} positions, expected ${counts.get(t.path)}`);
    out.push({ path: rel, partition: t.partition, rows, bytes, of: t.path });
  }
  return out;
}
