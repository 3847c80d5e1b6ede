import type { Command } from 'commander';
import { openWorkspace } from '../warehouse/workspace.ts';
import { compactTable } from '../lake/compaction.ts';
import { vacuumLake, VACUUM_MIN_AGE_MS } from '../lake/vacuum.ts';
import { checkLake } from '../lake/check.ts';
import { printJson, printTable } from './output.ts';

export function register(program: Command): void {
  const lake = program.command('lake').description('inspect and maintain the Parquet lake');
  lake.command('tables').description('list lake tables with their current snapshot, files and rows')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const tables = await ws.lake.catalog.tables();
        o.json
          ? printJson(tables, 'tables')
          : printTable(tables.map((t) => ({ table: t.table, snapshot: t.snapshot, files: t.files, rows: t.rows, mb: +(t.bytes / 1e6).toFixed(2) })));
      } finally { await ws.close(); }
    });
  lake.command('snapshots').argument('<table>', 'zone.name, e.g. raw.play').description("list a table's numbered snapshots")
    .option('--json', 'print JSON')
    .action(async (table: string, o: { json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const snaps = await ws.lake.catalog.snapshots(table);
        o.json
          ? printJson(snaps, 'snapshots')
          : printTable(snaps.map((s) => ({
            snapshot: s.snapshot,
            operation: s.operation,
            committed: s.committedAt,
            added_files: s.addedFiles,
            removed_files: s.removedFiles,
            added_rows: s.addedRows,
            total_rows: s.totalRows,
          })));
      } finally { await ws.close(); }
    });
  lake.command('writer').description('scale-out (NATS_URL): take accepted batches from JetStream and commit them to the lake, exactly once; run any number')
    .option('-p, --port <n>', 'port of /healthz, /metrics and /v1/status (0 picks a free one)', '0')
    .option('--batch <n>', 'stream messages (collector batches) committed together', '64')
    .action(async (o: { port: string; batch: string }) => {
      const { loadConfig } = await import('../config/index.ts');
      const { startLakeWriter } = await import('../serving/processes/lake-writer.ts');
      const w = await startLakeWriter(loadConfig(), { port: Number(o.port), batch: Number(o.batch), log: (m) => console.error(m) });
      console.log(`lake writer ${process.pid} running; health and metrics at ${w.url}`);
      const stop = async () => { await w.close(); process.exit(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  lake.command('compact').argument('[tables...]', 'tables to compact (default: all)').description('merge small files of each partition')
    .option('--min-files <n>', 'merge a partition holding at least this many small files', '4')
    .option('--json', 'print {"tables": [...]}: per table the files merged')
    .action(async (tables: string[], o: { minFiles: string; json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const names = tables.length ? tables : (await ws.lake.catalog.tables()).map((t) => t.table);
        const results = [];
        for (const t of names) results.push(await compactTable(ws.lake, t, { minFiles: Number(o.minFiles) }));
        if (o.json) printJson(results, 'tables');
        else printTable(results.map((r) => ({ ...r })));
        await vacuumLake(ws.lake, { log: o.json ? undefined : (m) => console.error(m) }); // what killed runs left behind
      } finally { await ws.close(); }
    });
  lake.command('vacuum').description('remove lake files no snapshot references and staging left by killed runs (never a live file)')
    .option('--min-age <seconds>', 'keep files younger than this: they may be writes in progress', String(VACUUM_MIN_AGE_MS / 1000))
    .option('--dry-run', 'list what would be removed')
    .option('--json', 'print JSON')
    .action(async (o: { minAge: string; dryRun?: boolean; json?: boolean }) => {
      const minAge = Number(o.minAge);
      if (!Number.isFinite(minAge) || minAge < 0) throw new Error(`--min-age: expected seconds >= 0, got "${o.minAge}"`);
      const ws = await openWorkspace();
      try {
        const r = await vacuumLake(ws.lake, { minAgeMs: minAge * 1000, dryRun: o.dryRun, log: o.json ? undefined : (m) => console.log(m) });
        if (o.json) printJson(r);
        else for (const p of r.removed) console.log(`  ${o.dryRun ? 'would remove' : 'removed'} ${p}`);
      } finally { await ws.close(); }
    });
  lake.command('check').description('check the catalog against the files: every live file present with the rows recorded, nothing left unflushed')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const r = await checkLake(ws.lake);
        if (o.json) printJson(r);
        else {
          console.log(`${r.tables} tables, ${r.files} files, ${r.rows} rows: ${r.problems.length ? `${r.problems.length} problems` : 'consistent'}`);
          for (const p of r.problems) console.log(`  ${p}`);
        }
        if (r.problems.length) process.exitCode = 1;
      } finally { await ws.close(); }
    });
}
