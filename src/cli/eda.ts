// `tributary eda SOURCE [--target COL] [--compare OTHER] --out report.html`: a self-contained
// exploratory report of a lake table, a snapshot of one (raw.x@3) or a CSV/TSV/NDJSON/Parquet
// file; with --compare, the two side by side with drift statistics (and with --target, how each
// column's relation to the target changed). The work is src/analytics/eda/.
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compareTables } from '../analytics/eda/compare.ts';
import { renderCompareHtml, renderHtml } from '../analytics/eda/html.ts';
import { profileMaterialized, stageCount, type ProfileOptions } from '../analytics/eda/profile.ts';
import { materialize } from '../analytics/eda/source.ts';
import { sqlString } from '../lake/duck.ts';
import { detectFormat, readerSql } from '../warehouse/ingest.ts';
import { openWorkspace, type Workspace } from '../warehouse/workspace.ts';
import { fail, noSuch, printJson, progress, usage } from './output.ts';

interface Opts { out: string; json?: boolean; target?: string; compare?: string; bins?: string }

export function register(program: Command): void {
  program.command('eda').argument('<source>', 'a lake table (curated.commerce_lines), a snapshot of one (raw.order_line@3) or a data file')
    .description('exploratory data analysis: one self-contained HTML report (types, missing values and their matrix, duplicates, distributions, ' +
      'outliers, Pearson/Spearman/Cramér\'s V, scatter plots, coverage, warnings); --target ranks every column against one; ' +
      '--compare reports the drift between two tables')
    .option('-o, --out <file>', 'HTML report to write', 'report.html')
    .option('--target <column>', 'relate every column to this one (Spearman, correlation ratio or Cramér\'s V, with a chart each); ' +
      'with --compare, how each relation changed between the two')
    .option('--compare <source>', 'a second table, snapshot or file: both side by side with drift statistics (PSI, KS, chi-squared); SOURCE is the reference')
    .option('--bins <n>', 'histogram bins (whole-number bins for integer columns)', '20')
    .option('--json', 'print the profile (or the comparison) as JSON instead of a summary')
    .action(async (sourceArg: string, o: Opts) => {
      const bins = Number(o.bins);
      if (!Number.isInteger(bins) || bins < 2 || bins > 200) usage(`--bins must be an integer from 2 to 200, got "${o.bins}"`);
      const ws = await openWorkspace();
      try {
        if (o.compare) await compare(ws, sourceArg, o.compare, o, bins);
        else await profile(ws, sourceArg, o, bins);
      } finally { await ws.close(); }
    });
}

async function profile(ws: Workspace, name: string, o: Opts, bins: number): Promise<void> {
  const src = await resolveSource(ws, name);
  const bar = progress('eda', stageCount(o));
  const m = await materialize(ws.wh, src.source, src.textSource).catch((e: Error) => fail(e.message));
  try {
    const opts: ProfileOptions = { bins, target: o.target, file: src.file, onStage: (s, note) => bar.step(s, note) };
    const p = await profileMaterialized(ws.wh, m, name, opts).catch((e: Error) => fail(e.message));
    writeFileSync(o.out, renderHtml(p, { generatedAt: new Date() }));
    bar.done(`${o.out}`);
    if (o.json) return printJson({ ...p, report: o.out });
    console.log(`${o.out}: ${p.rows.toLocaleString('en-US')} rows, ${p.columns.length} columns profiled in ${p.seconds.toFixed(2)} s`);
    for (const w of p.warnings) console.log(`  ! ${w}`);
    for (const f of p.findings) console.log(`  - ${f}`);
  } finally { await m.drop(); }
}

async function compare(ws: Workspace, nameA: string, nameB: string, o: Opts, bins: number): Promise<void> {
  const [a, b] = [await resolveSource(ws, nameA), await resolveSource(ws, nameB)];
  const stages = stageCount(o) - 1; // the profile's stages but "read", which is the copy below
  const bar = progress('eda', 2 * stages + 3);
  const ma = await materialize(ws.wh, a.source, a.textSource).catch((e: Error) => fail(e.message));
  bar.step(`read ${nameA}`, `${ma.rows.toLocaleString('en-US')} rows`);
  const mb = await materialize(ws.wh, b.source, b.textSource).catch((e: Error) => fail(e.message));
  bar.step(`read ${nameB}`, `${mb.rows.toLocaleString('en-US')} rows`);
  try {
    const step = (side: string) => (s: string, note?: string) => { if (s !== 'read') bar.step(`${side}: ${s}`, note); };
    // with --target, each side's relations to it (the comparison then says which moved)
    const pa = await profileMaterialized(ws.wh, ma, nameA, { bins, target: o.target, file: a.file, onStage: step('A') })
      .catch((e: Error) => fail(`${nameA}: ${e.message}`));
    const pb = await profileMaterialized(ws.wh, mb, nameB, { bins, target: o.target, file: b.file, onStage: step('B') })
      .catch((e: Error) => fail(`${nameB}: ${e.message}`));
    const c = await compareTables(ws.wh, { m: ma, p: pa }, { m: mb, p: pb });
    bar.step('drift', `${c.columns.filter((d) => d.verdict !== 'stable').length} of ${c.columns.length} columns drifted`);
    writeFileSync(o.out, renderCompareHtml(c, { generatedAt: new Date() }));
    bar.done(o.out);
    if (o.json) return printJson({ ...c, warnings: { a: pa.warnings, b: pb.warnings }, report: o.out });
    console.log(`${o.out}: ${nameA} (${pa.rows.toLocaleString('en-US')} rows) vs ${nameB} (${pb.rows.toLocaleString('en-US')} rows)`);
    for (const w of pa.warnings) console.log(`  ! ${nameA}: ${w}`);
    for (const w of pb.warnings) console.log(`  ! ${nameB}: ${w}`);
    for (const f of c.findings) console.log(`  - ${f}`);
  } finally { await ma.drop(); await mb.drop(); }
}

const FILE_EXT = /\.(csv|tsv|txt|ndjson|jsonl|json|parquet)(\.gz)?$/i;

export interface ResolvedSource {
  /** DuckDB relation text */
  source: string;
  /** the same file with every column as text (CSV/TSV), for booleans as the file spells them */
  textSource?: string;
  file?: string;
}

/** A lake table (zone.name), a snapshot of one (zone.name@N) or a data file; one wording when none. */
export async function resolveSource(ws: Pick<Workspace, 'wh'>, name: string): Promise<ResolvedSource> {
  if (existsSync(name)) {
    const format = detectFormat(name);
    const text = format === 'csv' || format === 'tsv'
      ? `read_csv(${sqlString(name)}, header = true${format === 'tsv' ? `, delim = '\t'` : ''}, all_varchar = true)` : undefined;
    return { source: readerSql(name, format), ...(text ? { textSource: text } : {}), file: name };
  }
  const m = /^([a-z_]+\.[a-z0-9_]+)(?:@(\d+))?$/i.exec(name);
  if (m && !FILE_EXT.test(m[1]!)) {
    const table = m[1]!;
    if (!ws.wh.snapshots.has(table)) noSuch('table', table, `known: ${[...ws.wh.snapshots.keys()].sort().join(', ') || 'none'}`);
    if (m[2] === undefined) return { source: table };
    const snapshot = Number(m[2]);
    // the snapshot's rows as a reader sees them (rows a merge deleted on read skipped)
    const read = await ws.wh.lake.readSql(table, snapshot).catch(() => noSuch('snapshot', name, `${table} is at snapshot ${ws.wh.snapshots.get(table)}`));
    if (!read) fail(`${name}: the snapshot has no files (an empty table)`);
    return { source: `(${read})` };
  }
  return noSuch('file', name);
}
