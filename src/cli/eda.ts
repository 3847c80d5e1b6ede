// `tributary eda TABLE --out report.html`: a self-contained exploratory report of a lake table
// (or of a CSV/TSV/NDJSON/Parquet file). The work is src/analytics/eda/.
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderHtml } from '../analytics/eda/html.ts';
import { profileTable } from '../analytics/eda/profile.ts';
import { detectFormat, readerSql } from '../warehouse/ingest.ts';
import { openWorkspace } from '../warehouse/workspace.ts';
import { fail, noSuch, printJson } from './output.ts';

export function register(program: Command): void {
  program.command('eda').argument('<table>', 'a lake table (curated.commerce_lines, raw.order_line...) or a data file')
    .description('exploratory data analysis: one self-contained HTML report (types, missing, distributions, outliers, correlations, coverage)')
    .option('-o, --out <file>', 'HTML report to write', 'report.html')
    .option('--json', 'print the profile as JSON instead of a one-line summary')
    .action(async (table: string, o: { out: string; json?: boolean }) => {
      const ws = await openWorkspace();
      try {
        const source = resolveSource(ws, table);
        const p = await profileTable(ws.wh, source).catch((e: Error) => fail(e.message));
        writeFileSync(o.out, renderHtml({ ...p, table }, { generatedAt: new Date() }));
        if (o.json) printJson(p);
        else {
          console.log(`${o.out}: ${p.rows.toLocaleString('en-US')} rows, ${p.columns.length} columns profiled in ${p.seconds.toFixed(2)} s`);
          for (const f of p.findings) console.log(`  - ${f}`);
        }
      } finally { await ws.close(); }
    });
}

const FILE_EXT = /\.(csv|tsv|txt|ndjson|jsonl|json|parquet)(\.gz)?$/i;

/** A lake table (zone.name) or a data file, as DuckDB relation text; one wording when neither. */
export function resolveSource(ws: { wh: { snapshots: Map<string, number> } }, name: string): string {
  if (existsSync(name)) return readerSql(name, detectFormat(name));
  if (/^[a-z_]+\.[a-z0-9_]+$/i.test(name) && !FILE_EXT.test(name)) {
    if (!ws.wh.snapshots.has(name)) noSuch('table', name, `known: ${[...ws.wh.snapshots.keys()].sort().join(', ') || 'none'}`);
    return name;
  }
  return noSuch('file', name);
}
