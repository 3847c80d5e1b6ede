// A consistency check of the lake: what the catalog says against what is on disk. Every live
// file of every table exists and holds the rows the catalog recorded, each table's current
// snapshot totals its live files, and no write-ahead segment waits unflushed behind a writer
// that is gone. `tributary lake check` prints the problems; tests assert there are none.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sqlList } from './duck.ts';
import type { Lake } from './lake.ts';
import { listSegments, orphanedWriterDirs } from './wal.ts';

export interface LakeCheck {
  tables: number;
  files: number;
  rows: number;
  problems: string[];
}

export async function checkLake(lake: Lake): Promise<LakeCheck> {
  const problems: string[] = [];
  const out: LakeCheck = { tables: 0, files: 0, rows: 0, problems };
  for (const t of await lake.catalog.tables()) {
    out.tables++;
    // data files and delete files (src/lake/deletes.ts): the table's rows are the data files'
    // rows less the positions its delete files name
    const { files: data, deletes } = await lake.catalog.filesWithDeletes(t.table);
    const files = [...data, ...deletes];
    const snaps = await lake.catalog.snapshots(t.table);
    const current = snaps.at(-1);
    const live = data.reduce((a, f) => a + f.rows, 0) - deletes.reduce((a, f) => a + f.rows, 0);
    if (current && current.totalRows !== live) {
      problems.push(`${t.table}: snapshot ${current.snapshot} records ${current.totalRows} rows, its live files hold ${live}`);
    }
    const present = files.filter((f) => {
      if (existsSync(join(lake.root, f.path))) return true;
      problems.push(`${t.table}: live file ${f.path} is missing`);
      return false;
    });
    out.files += data.length;
    if (!present.length) continue;
    // the row counts in the files' own footers, read by DuckDB without scanning the data
    const counted = (await lake.conn.runAndReadAll(`SELECT file_name, sum(num_rows)::BIGINT AS n FROM ` +
      `parquet_file_metadata(${sqlList(present.map((f) => join(lake.root, f.path)))}) GROUP BY file_name`))
      .getRowObjectsJS() as { file_name: string; n: bigint }[];
    const byName = new Map(counted.map((c) => [c.file_name, Number(c.n)]));
    for (const f of present) {
      const n = byName.get(join(lake.root, f.path));
      if (n !== f.rows) problems.push(`${t.table}: ${f.path} holds ${n ?? 'no readable'} rows, the catalog says ${f.rows}`);
      else if (data.includes(f)) out.rows += n;
      else out.rows -= n;
    }
  }
  for (const dir of orphanedWriterDirs(join(lake.opts.home, 'wal'), lake.wal?.dir)) {
    const n = listSegments(dir).length;
    if (n) problems.push(`${n} write-ahead segments of a stopped writer are not flushed yet`);
  }
  return out;
}
