import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openWorkspace, parsePins } from '../warehouse/workspace.ts';
import { buildModels } from '../warehouse/models.ts';
import { buildUserModels, UserModelError } from '../warehouse/user-models.ts';
import { ingestFile, type FileFormat } from '../warehouse/ingest.ts';
import { fail, noSuch, printCsv, printJson, printTable, progress, usage } from './output.ts';
import { interactiveShell } from './query-shell.ts';

const collect = (v: string, acc: string[]) => [...acc, v];

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function register(program: Command): void {
  program.command('ingest').argument('<file>', 'CSV, TSV, NDJSON or Parquet file (gzip too)')
    .description('import a file into a raw lake table (Online Retail CSV maps to order_line)')
    .requiredOption('-t, --table <name>', 'target table, e.g. order_line or raw.tracks')
    .option('-f, --format <format>', 'csv | tsv | ndjson | parquet (default: from the file name)')
    .option('--json', 'print the result as JSON')
    .option('--evolve', 'let this file change the type of an existing column (otherwise a column keeps its type)')
    .action(async (file: string, o: { table: string; format?: FileFormat; json?: boolean; evolve?: boolean }) => {
      if (!existsSync(file)) noSuch('file', file);
      const ws = await openWorkspace();
      try {
        const r = await ingestFile(ws.wh, file, { table: o.table, format: o.format, evolve: o.evolve });
        if (o.json) printJson(r);
        else console.log(`${r.table}: ${r.rows} rows in ${r.files} files ` +
          `(snapshot ${r.snapshot})${r.mapping ? `, mapping ${r.mapping}` : ''}; ${r.quarantined} quarantined; ${r.seconds.toFixed(2)} s`);
      } finally { await ws.close(); }
    });

  program.command('query').argument(
    '[sql]',
    'SQL over lake tables (raw.play, curated.plays, quarantine.events...); without it: --file, stdin, or an interactive shell on a terminal',
  )
    .description('run SQL in the warehouse and print the result (a script from a file or stdin; an interactive shell with history and .tables)')
    .option('-f, --file <file>', 'run the statements of a SQL file')
    .option('-i, --interactive', 'the interactive shell even when stdin is not a terminal')
    .option('--json', 'print {"rows": [...]} (the last statement\'s rows)')
    .option('--csv', 'print CSV')
    .option('--snapshot <table@n>', 'pin a table to a snapshot, e.g. raw.play@3 (repeat for more tables)', collect, [] as string[])
    .action(async (sqlArg: string | undefined, o: { file?: string; interactive?: boolean; json?: boolean; csv?: boolean; snapshot: string[] }) => {
      if (sqlArg !== undefined && o.file) usage('give the SQL as an argument or with --file, not both');
      if (o.json && o.csv) usage('--json and --csv exclude each other');
      let pins: Record<string, number>;
      try { pins = parsePins(o.snapshot); } catch (e) { usage((e as Error).message); }
      if (o.file && !existsSync(o.file)) noSuch('file', o.file);
      const sql = sqlArg ?? (o.file ? readFileSync(o.file, 'utf8') : process.stdin.isTTY || o.interactive ? undefined : await readStdin());
      if (sql !== undefined && !sql.trim()) usage('no SQL given (empty file or stdin)');
      const ws = await openWorkspace({ pins });
      try {
        if (sql === undefined) return await interactiveShell(ws);
        const results = await ws.wh.queryScript(sql).catch((e: Error) => fail(e.message, 'sql_error'));
        if (o.json) printJson({ rows: results.at(-1) ?? [] });
        else for (const rows of results) o.csv ? printCsv(rows) : printTable(rows);
      } finally { await ws.close(); }
    });

  program.command('build').description('build the curated tables: our SQL models, then the user\'s models/ folder (ref(), schema tests)')
    .option('--only <tables...>', 'build only these of our tables (e.g. curated.orders)')
    .option('-s, --select <models...>', 'build only these user models: name, +name (with what it reads), name+ (with what reads it)')
    .option('--models-dir <dir>', 'the user\'s SQL models', 'models')
    .option('--json', 'print {"tables": [...], "models": [...]}')
    .action(async (o: { only?: string[]; select?: string[]; modelsDir: string; json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const dir = resolve(o.modelsDir);
        const ours = o.select ? [] : await buildModels(ws.wh, {
          only: o.only, onModel: (r) => { if (!o.json) console.error(`  ${r.table.padEnd(30)} ${String(r.rows ?? '').padStart(9)} ` +
            `rows  ${r.seconds.toFixed(2).padStart(6)} s`); },
        });
        const bar = progress('build models/', 0);
        const user = o.only ? [] : await buildUserModels(ws.wh, {
          dir, select: o.select,
          onModel: (r) => bar.step(r.model, `${r.status}${r.rows !== null ? `  ${r.rows} rows` : ''}${r.message ? `  ${r.message}` : ''}`),
        }).catch((e: Error) => (e instanceof UserModelError ? usage(e.message) : Promise.reject(e)));
        const failed = user.filter((r) => r.status !== 'built');
        if (o.json) printJson({
          tables: ours,
          models: user,
          ...(failed.length ? { error: { code: 'model_failed', message: `${failed.length} model(s) failed or were skipped`, exit: 1 } } : {}),
        });
        else {
          const userBuilt = existsSync(dir) ? ` and ${user.filter((r) => r.status === 'built').length} of ${user.length} user models` : '';
          console.log(`built ${ours.length} tables${userBuilt}`);
          for (const r of user) {
            for (const t of r.tests) console.log(`  ${t.passed ? 'PASS' : 'FAIL'} ${r.model}: ${t.test}${t.passed ? '' : ` (${t.failures} failing)`}`);
            if (r.status !== 'built') console.log(`  ${r.status.toUpperCase()} ${r.model}: ${r.message}`);
          }
        }
        if (failed.length) process.exitCode = 1;
      } finally { await ws.close(); }
    });
}
