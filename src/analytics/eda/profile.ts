// Exploratory profile of one table: per column its type, missing share, distinct count,
// distribution and outliers (columns.ts); duplicate rows and the missing-value matrix
// (quality.ts); Pearson, Spearman and Cramér's V with scatter samples (relations.ts); with
// `target`, every column's relation to it (target.ts); the time coverage; warnings (what is
// probably wrong with the data or its parse) and written findings. Each stage is reported to
// `onStage` as it ends, so a long run shows progress.
import type { Warehouse } from '../../warehouse/session.ts';
import { identifierLike, profileColumns, type ColumnProfile } from './columns.ts';
import { duplicates, missingMatrix, type Duplicates, type MissingMatrix } from './quality.ts';
import { relations, type Relations } from './relations.ts';
import { materialize, type Materialized } from './source.ts';
import { targetAnalysis, type TargetAnalysis } from './target.ts';

export { columnKind, type ColumnKind, type ColumnProfile } from './columns.ts';

export interface EdaProfile {
  table: string;
  rows: number;
  columns: ColumnProfile[];
  duplicates: Duplicates;
  missing_matrix: MissingMatrix;
  relations: Relations;
  target?: TargetAnalysis;
  coverage: { column: string; min: string; max: string; days: number } | null;
  /** what is probably wrong: a bad parse, constant columns, duplicates, mostly empty columns */
  warnings: string[];
  findings: string[];
  seconds: number;
}

export interface ProfileOptions {
  bins?: number;
  top?: number;
  zThreshold?: number;
  target?: string;
  /** the same data read with every column as text (a CSV file's own spelling of booleans) */
  textSource?: string;
  /** the file the table was read from, if any (a one-column parse of a file is suspicious) */
  file?: string;
  /** called as each stage ends, with its name and a short note */
  onStage?: (stage: string, note?: string) => void;
}

/** The stages onStage hears about, in order (the count gives progress an ETA). */
export const stageCount = (opts: { target?: string }) => 5 + (opts.target ? 1 : 0);

/** `source` is a lake table (zone.name) or any DuckDB relation text, e.g. read_parquet('f'). */
export async function profileTable(wh: Warehouse, source: string, opts: ProfileOptions = {}): Promise<EdaProfile> {
  const m = await materialize(wh, source, opts.textSource);
  try {
    return await profileMaterialized(wh, m, source, opts);
  } finally {
    await m.drop();
  }
}

export async function profileMaterialized(wh: Warehouse, m: Materialized, name: string, opts: ProfileOptions = {}): Promise<EdaProfile> {
  const t0 = performance.now();
  const stage = opts.onStage ?? (() => {});
  stage('read', `${m.rows.toLocaleString('en-US')} rows, ${m.columns.length} columns`);
  const columns = await profileColumns(wh, m, { bins: opts.bins ?? 20, top: opts.top ?? 8, zThreshold: opts.zThreshold ?? 3 });
  stage('columns', `${columns.length} profiled`);
  const dup = await duplicates(wh, m);
  const matrix = await missingMatrix(wh, m);
  stage('duplicates, missing', `${dup.rows.toLocaleString('en-US')} duplicate rows`);
  const rel = await relations(wh, m, columns);
  stage('correlations', `${rel.pearson.columns.length} numeric, ${rel.cramers_v.columns.length} categorical columns`);
  let target: TargetAnalysis | undefined;
  if (opts.target) {
    target = await targetAnalysis(wh, m, columns, opts.target);
    stage('target', `${target.relations.length} columns against ${opts.target}`);
  }
  const timed = columns.filter((p) => p.time).sort((a, b) => b.time!.days - a.time!.days)[0];
  const coverage = timed ? { column: timed.name, min: timed.time!.min, max: timed.time!.max, days: timed.time!.days } : null;
  const profile: EdaProfile = {
    table: name, rows: m.rows, columns, duplicates: dup, missing_matrix: matrix, relations: rel, ...(target ? { target } : {}),
    coverage, warnings: [], findings: [], seconds: 0,
  };
  profile.warnings = warnings(profile, opts.file);
  profile.findings = findings(profile);
  profile.seconds = (performance.now() - t0) / 1000;
  stage('findings', `${profile.warnings.length} warnings, ${profile.findings.length} findings`);
  return profile;
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;
const SEPARATORS: [string, string][] = [[';', 'semicolons'], ['\t', 'tabs'], ['|', 'pipes'], [',', 'commas'], [':', 'colons']];

/** What is probably wrong with the data or the way it was read, most serious first. */
export function warnings(p: EdaProfile, file?: string): string[] {
  const out: string[] = [];
  if (file && p.columns.length === 1) {
    const only = p.columns[0]!.name;
    const sep = SEPARATORS.find(([s]) => only.includes(s));
    out.push(`${file} was read as a single column ("${only.length > 60 ? only.slice(0, 59) + '…' : only}")` +
      (sep ? `: its header holds ${sep[1]}, so the delimiter was probably not recognised` : ': check the delimiter and the header line') + '.');
  }
  const constant = p.columns.filter((c) => c.rows > 0 && c.distinct === 1);
  for (const c of constant) {
    out.push(`${c.name} has a single value (${c.top[0] ? `"${c.top[0].value}"` : 'constant'}${c.missing ? ` and ${pct(c.missing_share)} missing` : ''}): ` +
      `it carries no information.`);
  }
  for (const c of p.columns.filter((c) => c.rows > 0 && c.distinct === 0)) out.push(`${c.name} is empty: every value is missing.`);
  for (const c of p.columns.filter((c) => c.distinct > 0 && c.missing_share >= 0.5)) out.push(`${c.name} misses ${pct(c.missing_share)} of its values.`);
  if (p.duplicates.rows > 0) out.push(`${p.duplicates.rows.toLocaleString('en-US')} rows (${pct(p.duplicates.share)}) repeat an earlier row in every column.`);
  return out;
}

/** Short written findings: what stands out, ranked by how much it matters to an analyst. */
export function findings(p: EdaProfile): string[] {
  const out: string[] = [];
  out.push(`${p.rows.toLocaleString('en-US')} rows and ${p.columns.length} columns` +
    (p.coverage
      ? `, covering ${p.coverage.min.slice(0, 10)} to ${p.coverage.max.slice(0, 10)} (${Math.round(p.coverage.days)} days, column ${p.coverage.column})`
      : '') + '.');
  const missing = p.columns.filter((c) => c.missing_share > 0.01).sort((a, b) => b.missing_share - a.missing_share);
  if (missing.length) out.push(`Missing values: ${missing.slice(0, 4).map((c) => `${c.name} ${pct(c.missing_share)}`).join(', ')}.`);
  else out.push('No column misses more than 1% of its values.');
  out.push(p.duplicates.rows ? `${p.duplicates.rows.toLocaleString('en-US')} duplicate rows (${pct(p.duplicates.share)}).` : 'No duplicate rows.');
  for (const c of p.columns) {
    const m = c.numeric;
    if (!m) continue;
    if (m.negatives > 0) out.push(`${c.name} has ${m.negatives.toLocaleString('en-US')} negative values (${pct(
      m.negatives / (c.rows - c.missing),
    )}), min ${fmt(m.min)}.`);
    if (Math.abs(m.skew) > 2) out.push(`${c.name} is heavily ${m.skew > 0 ? 'right' : 'left'}-skewed ` +
      `(skewness ${m.skew.toFixed(1)}; median ${fmt(m.median)} vs mean ${fmt(m.mean)}): ${pct(m.outliers_iqr.share)} of rows are IQR outliers, max ${fmt(
        m.max,
      )}; a log scale suits it.`);
  }
  const ids = p.columns.filter(identifierLike);
  if (ids.length) out.push(`Identifier-like columns (nearly all values distinct): ${ids.map((c) => c.name).join(', ')}.`);
  const dominated = p.columns.filter((c) => (c.kind === 'text' || c.kind === 'boolean') && c.top[0] &&
    c.top[0].count / Math.max(1, c.rows - c.missing) > 0.8 && c.distinct > 1);
  for (const c of dominated) out.push(`${c.name} is dominated by "${c.top[0]!.value}" (${pct(c.top[0]!.count / (c.rows - c.missing))} of rows).`);
  for (const s of p.relations.strongest) {
    const r = s.pearson ?? 0, rho = s.spearman ?? 0;
    if (Math.abs(r) >= 0.5 || Math.abs(rho) >= 0.5) {
      out.push(`${s.a} and ${s.b} are correlated (Pearson r = ${r.toFixed(2)}, Spearman rho = ${rho.toFixed(2)})` +
        (Math.abs(rho) - Math.abs(r) >= 0.2 ? ': monotonic but not linear, or bent by outliers.' : '.'));
    }
  }
  for (const s of p.relations.categorical_strongest.filter((s) => s.v >= 0.5)) out.push(`${s.a} and ${s.b} are associated (Cramér's V = ${s.v.toFixed(2)}).`);
  if (p.target) {
    const top = p.target.relations.slice(0, 3).filter((r) => r.strength > 0);
    if (top.length) out.push(`Most related to ${p.target.target}: ${top.map(
      (r) => `${r.column} (${measureName(r.measure)} ${r.strength.toFixed(2)})`,
    ).join(', ')}.`);
  }
  for (const c of p.columns) {
    if (c.time && c.time.empty_months > 0) out.push(`${c.name} has ${c.time.empty_months} month(s) without any row: a gap in the data.`);
    if (c.time && c.time.months.length >= 3) {
      const best = c.time.months.reduce((a, b) => (b.count > a.count ? b : a));
      out.push(`The busiest month by ${c.name} is ${best.month} (${best.count.toLocaleString('en-US')} rows).`);
    }
  }
  return out;
}

export function measureName(m: string): string {
  return m === 'spearman' ? '|rho|' : m === 'eta' ? 'eta' : "Cramér's V";
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(2);
  return Number.isInteger(x) ? x.toLocaleString('en-US') : x.toLocaleString('en-US', { maximumFractionDigits: 3 });
}
