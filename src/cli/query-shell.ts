// `tributary query` with no SQL on a terminal: an interactive SQL shell over the lake, like the
// DuckDB CLI. Statements end with `;` and may span lines; history is kept in
// <home>/query_history; dot commands inspect the catalog.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Workspace } from '../warehouse/workspace.ts';
import { printCsv, printTable } from './output.ts';

type Mode = 'table' | 'json' | 'csv';

const HELP = `.tables               lake tables with their snapshot and rows
.schema TABLE         columns of a table (or of any view)
.snapshots TABLE      a table's numbered snapshots
.mode table|json|csv  how results are printed
.help                 this list
.quit                 leave (Ctrl-D too)
SQL statements end with ';' and may span lines.`;

export function printRows(rows: Record<string, unknown>[], mode: Mode): void {
  if (mode === 'json') for (const r of rows) console.log(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  else if (mode === 'csv') printCsv(rows);
  else printTable(rows);
}

/** Runs one dot command; false when the shell should stop. */
async function dot(ws: Workspace, line: string, state: { mode: Mode }): Promise<boolean> {
  const [cmd, arg] = line.trim().split(/\s+/, 2);
  switch (cmd) {
    case '.quit': case '.exit': return false;
    case '.help': console.log(HELP); break;
    case '.tables': {
      const tables = await ws.lake.catalog.tables();
      printTable(tables.map((t) => ({ table: t.table, snapshot: t.snapshot, files: t.files, rows: t.rows })));
      break;
    }
    case '.schema':
      if (!arg) { console.log('usage: .schema TABLE'); break; }
      printTable((await ws.wh.describe(`SELECT * FROM ${arg}`)).map((c) => ({ column: c.name, type: c.type })));
      break;
    case '.snapshots':
      if (!arg) { console.log('usage: .snapshots TABLE'); break; }
      printTable((await ws.lake.catalog.snapshots(arg)).map((s) => ({
        snapshot: s.snapshot,
        operation: s.operation,
        committed: s.committedAt,
        added_rows: s.addedRows,
        total_rows: s.totalRows,
      })));
      break;
    case '.mode':
      if (arg === 'table' || arg === 'json' || arg === 'csv') state.mode = arg;
      else console.log('usage: .mode table|json|csv');
      break;
    default: console.log(`unknown command ${cmd}; .help lists them`);
  }
  return true;
}

export async function interactiveShell(ws: Workspace): Promise<void> {
  const historyFile = join(ws.config.home, 'query_history');
  const history = existsSync(historyFile) ? readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000) : [];
  const rl = createInterface({ input: process.stdin, output: process.stdout, history, historySize: 1000, prompt: 'tributary> ' });
  const state = { mode: 'table' as Mode };
  console.log(`Tributary SQL over the lake in ${ws.config.home}; .help for commands, .quit to leave.`);
  let buffer = '';
  rl.prompt();
  for await (const line of rl) {
    if (!buffer && line.trim().startsWith('.')) {
      appendFileSync(historyFile, line.trim() + '\n');
      if (!(await dot(ws, line, state).catch((e: Error) => { console.log(`error: ${e.message}`); return true; }))) break;
    } else if (line.trim() || buffer) {
      buffer += (buffer ? '\n' : '') + line;
      if (/;\s*$/.test(buffer)) {
        appendFileSync(historyFile, buffer.replace(/\n/g, ' ') + '\n');
        try {
          for (const rows of await ws.wh.queryScript(buffer)) printRows(rows, state.mode);
        } catch (e) {
          console.log(`error: ${(e as Error).message}`);
        }
        buffer = '';
      }
    }
    rl.setPrompt(buffer ? '      ...> ' : 'tributary> ');
    rl.prompt();
  }
  rl.close();
}
