import type { Command } from 'commander';
import { openWorkspace, parsePins } from '../warehouse/workspace.ts';
import { buildModels } from '../warehouse/models.ts';
import { ingestFile, type FileFormat } from '../warehouse/ingest.ts';
import { fail, printCsv, printJson, printTable } from './output.ts';

export function register(program: Command): void {
  program.command('ingest').argument('<file>', 'CSV, TSV, NDJSON or Parquet file (gzip too)')
    .description('import a file into a raw lake table (Online Retail CSV maps to order_line)')
    .requiredOption('-t, --table <name>', 'target table, e.g. order_line or raw.tracks')
    .option('-f, --format <format>', 'csv | tsv | ndjson | parquet (default: from the file name)')
    .option('--json', 'print the result as JSON')
    .option('--evolve', "let this file change the type of an existing column (otherwise a column keeps its type)")
    .action(async (file: string, o: { table: string; format?: FileFormat; json?: boolean; evolve?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const r = await ingestFile(ws.wh, file, { table: o.table, format: o.format, evolve: o.evolve });
        if (o.json) printJson(r);
        else console.log(`${r.table}: ${r.rows} rows in ${r.files} files (snapshot ${r.snapshot})${r.mapping ? `, mapping ${r.mapping}` : ''}; ${r.quarantined} quarantined; ${r.seconds.toFixed(2)} s`);
      } finally { await ws.close(); }
    });

  program.command('query').argument('<sql>', 'SQL over lake tables: raw.play, curated.plays, quarantine.events...')
    .description('run SQL in the warehouse and print the result')
    .option('--json', 'print rows as JSON lines')
    .option('--csv', 'print CSV')
    .option('--snapshot <table@n...>', 'pin tables to snapshots, e.g. raw.play@3')
    .action(async (sql: string, o: { json?: boolean; csv?: boolean; snapshot?: string[] }) => {
      const ws = await openWorkspace({ pins: parsePins(o.snapshot) });
      try {
        const rows = await ws.wh.query(sql).catch((e: Error) => fail(e.message));
        if (o.json) for (const r of rows) printJson(r);
        else if (o.csv) printCsv(rows);
        else printTable(rows);
      } finally { await ws.close(); }
    });

  program.command('build').description('build the curated tables from the SQL models')
    .option('--only <tables...>', 'build only these tables')
    .action(async (o: { only?: string[] }) => {
      const ws = await openWorkspace();
      try {
        const runs = await buildModels(ws.wh, { only: o.only, onModel: (r) => console.log(`  ${r.table.padEnd(22)} ${String(r.rows).padStart(9)} rows  ${r.seconds.toFixed(2)} s`) });
        console.log(`built ${runs.length} tables`);
      } finally { await ws.close(); }
    });
}
