// `eda A --compare B`: two tables (two files, two lake tables or two snapshots of one) side by
// side, column by column, with the drift statistics monitoring uses (src/monitoring/drift.ts):
//   numbers and times  PSI over A's deciles, Kolmogorov-Smirnov D and its p-value
//   categories         PSI over the union of categories, chi-squared test of A vs B (p-value)
// and a verdict by PSI's rule of thumb (< 0.1 stable, < 0.25 moderate, else shifted), raised to
// "moderate" when the test rejects "same distribution" at 0.1% with an effect an analyst would
// see (KS D >= 0.1, or a category share moving by 5 points). A is the reference.
// Identifier-like columns (training's rule, ml/data/feature-selection.ts) are not compared but
// listed as skipped: a new snapshot brings new ids by nature, so they would always "shift".
// With --target, each column's relation to the target in A and in B (a relation that weakens or
// strengthens is drift a model feels even when no column's own distribution moved).
import { chi2Independence, chi2Sf } from '../../ml/metrics/association.ts';
import { featureDrift, psiFromCounts } from '../../monitoring/drift.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { identifierLike, type ColumnProfile } from './columns.ts';
import type { TargetRelation } from './target.ts';
import { histogramEdges } from './ticks.ts';
import { q, readColumns, toFloat, type Materialized } from './source.ts';
import type { EdaProfile } from './profile.ts';

export type Verdict = 'stable' | 'moderate' | 'shifted';

export interface ColumnDrift {
  column: string;
  kind: ColumnProfile['kind'];
  missing: [number, number];
  distinct: [number, number];
  mean?: [number, number];
  median?: [number, number];
  std?: [number, number];
  psi: number;
  ks?: number;
  ks_pvalue?: number;
  chi2_pvalue?: number;
  verdict: Verdict;
  /** shares of rows per bin (numbers) or per category, A and B on the same bins */
  chart: { edges: number[]; integer: boolean; a: number[]; b: number[] } | { labels: string[]; a: number[]; b: number[] };
}

export interface Comparison {
  a: { name: string; rows: number };
  b: { name: string; rows: number };
  only_a: string[];
  only_b: string[];
  type_changes: { column: string; a: string; b: string }[];
  /** common columns, the most drifted first */
  columns: ColumnDrift[];
  /** common columns left out of the drift, with the reason */
  skipped: { column: string; reason: 'identifier-like'; detail: string }[];
  /** with a target: every column's relation to it in A and in B, the largest change first */
  target?: { column: string; relations: TargetRelationChange[] };
  findings: string[];
}

export interface TargetRelationChange {
  column: string;
  measure: TargetRelation['measure'];
  /** strength in A and B (0 = unrelated, 1 = determined); null where a side has no such relation */
  strength: [number | null, number | null];
}

/** A relation to the target that moves by this much (on its 0..1 scale) is a finding. */
const RELATION_MOVE = 0.1;

const CATEGORIES_SHOWN = 12;

export function verdictOf(psi: number, test?: { p: number; effect: boolean }): Verdict {
  const v: Verdict = psi >= 0.25 ? 'shifted' : psi >= 0.1 ? 'moderate' : 'stable';
  return v === 'stable' && test && test.p < 1e-3 && test.effect ? 'moderate' : v;
}

export async function compareTables(wh: Warehouse, a: { m: Materialized; p: EdaProfile }, b: { m: Materialized; p: EdaProfile }): Promise<Comparison> {
  const colsB = new Map(b.p.columns.map((c) => [c.name, c]));
  const namesA = new Set(a.p.columns.map((c) => c.name));
  const out: Comparison = {
    a: { name: a.p.table, rows: a.p.rows }, b: { name: b.p.table, rows: b.p.rows },
    only_a: a.p.columns.filter((c) => !colsB.has(c.name)).map((c) => c.name),
    only_b: b.p.columns.filter((c) => !namesA.has(c.name)).map((c) => c.name),
    type_changes: [], columns: [], skipped: [], findings: [],
  };
  for (const ca of a.p.columns) {
    const cb = colsB.get(ca.name);
    if (!cb) continue;
    const sameFamily = ca.kind === cb.kind || (isCat(ca) && isCat(cb));
    if (ca.type !== cb.type) out.type_changes.push({ column: ca.name, a: ca.type, b: cb.type });
    if (!sameFamily) continue;
    const id = [ca, cb].find(identifierLike);
    if (id) {
      const detail = `${id.distinct.toLocaleString('en-US')} distinct of ${(id.rows - id.missing).toLocaleString('en-US')} values`;
      out.skipped.push({ column: ca.name, reason: 'identifier-like', detail });
      continue;
    }
    const base = { column: ca.name, kind: ca.kind, missing: both(ca.missing_share, cb.missing_share), distinct: both(ca.distinct, cb.distinct) };
    if (ca.kind === 'numeric' || ca.kind === 'time') out.columns.push({ ...base, ...await numericDrift(wh, a.m, b.m, ca, cb) });
    else out.columns.push({ ...base, ...await categoricalDrift(wh, a.m, b.m, ca.name) });
  }
  const rank: Record<Verdict, number> = { shifted: 2, moderate: 1, stable: 0 };
  out.columns.sort((x, y) => rank[y.verdict] - rank[x.verdict] || y.psi - x.psi);
  if (a.p.target && b.p.target) out.target = { column: a.p.target.target, relations: relationChanges(a.p.target.relations, b.p.target.relations) };
  out.findings = compareFindings(out);
  return out;
}

/** Each column's relation to the target on both sides (same measure), the largest change first. */
function relationChanges(ra: TargetRelation[], rb: TargetRelation[]): TargetRelationChange[] {
  const inB = new Map(rb.map((r) => [r.column, r]));
  const out: TargetRelationChange[] = ra.map((r) => {
    const o = inB.get(r.column);
    return { column: r.column, measure: r.measure, strength: [r.strength, o && o.measure === r.measure ? o.strength : null] };
  });
  const inA = new Set(ra.map((r) => r.column));
  for (const r of rb) if (!inA.has(r.column)) out.push({ column: r.column, measure: r.measure, strength: [null, r.strength] });
  const move = (c: TargetRelationChange) => Math.abs((c.strength[1] ?? 0) - (c.strength[0] ?? 0));
  return out.sort((x, y) => move(y) - move(x) || x.column.localeCompare(y.column));
}

const isCat = (c: ColumnProfile) => c.kind === 'text' || c.kind === 'boolean';
const both = (a: number, b: number): [number, number] => [a, b];
/** What the drift functions add to a column's name, kind, missing and distinct. */
type DriftPart = Omit<ColumnDrift, 'column' | 'kind' | 'missing' | 'distinct'>;

async function values(wh: Warehouse, m: Materialized, c: ColumnProfile): Promise<Float64Array> {
  const expr = c.kind === 'time' ? `epoch(CAST(${q(c.name)} AS TIMESTAMP))` : `CAST(${q(c.name)} AS DOUBLE)`;
  const [col] = await readColumns(wh, `SELECT ${expr} FROM ${m.tmp} WHERE ${q(c.name)} IS NOT NULL`);
  return toFloat(col!);
}

async function numericDrift(wh: Warehouse, ma: Materialized, mb: Materialized, ca: ColumnProfile, cb: ColumnProfile): Promise<DriftPart> {
  const [x, y] = [await values(wh, ma, ca), await values(wh, mb, cb)];
  const d = featureDrift(x, y);
  const na = ca.numeric, nb = cb.numeric;
  // one set of bins over both ranges (each side's whisker range), integer-aware when both are
  const lo = Math.min(na?.histogram.edges[0] ?? min(x), nb?.histogram.edges[0] ?? min(y));
  const hi = Math.max(na?.histogram.edges.at(-1) ?? max(x), nb?.histogram.edges.at(-1) ?? max(y));
  const integer = !!na?.integer && !!nb?.integer;
  const edges = histogramEdges(lo, hi, 20, integer);
  return {
    ...(na && nb ? { mean: both(na.mean, nb.mean), median: both(na.median, nb.median), std: both(na.std, nb.std) } : {}),
    psi: d.psi, ks: d.ks, ks_pvalue: d.ks_pvalue,
    verdict: verdictOf(d.psi, { p: d.ks_pvalue, effect: d.ks >= 0.1 }),
    chart: { edges, integer, a: shares(x, edges), b: shares(y, edges) },
  };
}

const min = (x: Float64Array) => x.reduce((s, v) => Math.min(s, v), Infinity);
const max = (x: Float64Array) => x.reduce((s, v) => Math.max(s, v), -Infinity);

function shares(x: Float64Array, edges: number[]): number[] {
  const bins = edges.length - 1, lo = edges[0]!, w = (edges[bins]! - lo) / bins;
  const c = new Array<number>(bins).fill(0);
  for (const v of x) c[w > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w))) : 0]!++;
  return c.map((n) => (x.length ? n / x.length : 0));
}

async function categoricalDrift(wh: Warehouse, ma: Materialized, mb: Materialized, name: string): Promise<DriftPart> {
  const counts = async (m: Materialized) => new Map((await wh.query<{ v: string; n: number }>(
    `SELECT CAST(${q(name)} AS VARCHAR) AS v, count(*)::BIGINT AS n FROM ${m.tmp} WHERE ${q(name)} IS NOT NULL GROUP BY 1`))
    .map((r) => [String(r.v), Number(r.n)]));
  const [ca, cb] = [await counts(ma), await counts(mb)];
  const keys = [...new Set([...ca.keys(), ...cb.keys()])];
  const va = keys.map((k) => ca.get(k) ?? 0), vb = keys.map((k) => cb.get(k) ?? 0);
  const ta = va.reduce((s, v) => s + v, 0), tb = vb.reduce((s, v) => s + v, 0);
  const psi = psiFromCounts(va, vb);
  const chi = chi2Independence([va, vb]);
  const p = chi.dof > 0 ? chi2Sf(chi.chi2, chi.dof) : 1;
  const moved = keys.some((_, i) => Math.abs(va[i]! / Math.max(1, ta) - vb[i]! / Math.max(1, tb)) >= 0.05);
  const order = keys.map((k, i) => ({ k, n: va[i]! / Math.max(1, ta) + vb[i]! / Math.max(1, tb), i }))
    .sort((x, y) => y.n - x.n || (x.k < y.k ? -1 : 1)).slice(0, CATEGORIES_SHOWN);
  return {
    psi, chi2_pvalue: p, verdict: verdictOf(psi, { p, effect: moved }),
    chart: { labels: order.map((o) => o.k), a: order.map((o) => va[o.i]! / Math.max(1, ta)), b: order.map((o) => vb[o.i]! / Math.max(1, tb)) },
  };
}

const fmtP = (p: number | undefined) => (p === undefined || !Number.isFinite(p) ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
const sig = (v: number) => Number(v.toPrecision(4)).toLocaleString('en-US');

function compareFindings(c: Comparison): string[] {
  const out: string[] = [];
  const rowsChange = c.a.rows ? (c.b.rows - c.a.rows) / c.a.rows : 0;
  const rowsOf = (s: { name: string; rows: number }) => `${s.name}: ${s.rows.toLocaleString('en-US')} rows`;
  out.push(`${rowsOf(c.a)}; ${rowsOf(c.b)} (${rowsChange >= 0 ? '+' : ''}${(100 * rowsChange).toFixed(1)}%).`);
  if (c.only_a.length) out.push(`Only in ${c.a.name}: ${c.only_a.join(', ')}.`);
  if (c.only_b.length) out.push(`Only in ${c.b.name}: ${c.only_b.join(', ')}.`);
  for (const t of c.type_changes) out.push(`${t.column} changed type: ${t.a} → ${t.b}.`);
  const drifted = c.columns.filter((d) => d.verdict !== 'stable');
  if (!drifted.length) out.push(`No column drifted (every PSI < 0.1 and no significant test with a visible effect).`);
  for (const d of drifted) {
    const test = d.ks !== undefined ? `KS D ${d.ks.toFixed(3)} (p ${fmtP(d.ks_pvalue)})` : `chi-squared p ${fmtP(d.chi2_pvalue)}`;
    const stats = `PSI ${d.psi.toFixed(3)}, ${test}`;
    const move = d.mean ? `; mean ${sig(d.mean[0])} → ${sig(d.mean[1])}, median ${sig(d.median![0])} → ${sig(d.median![1])}` : '';
    out.push(`${d.column} ${d.verdict === 'shifted' ? 'shifted' : 'drifted moderately'}: ${stats}${move}.`);
  }
  if (c.skipped.length) {
    out.push(`Not compared, identifier-like (a new table or snapshot brings new ids by nature): ${c.skipped.map((s) => s.column).join(', ')}.`);
  }
  const measure = { spearman: 'Spearman |rho|', eta: 'eta', cramers_v: "Cramér's V" } as const;
  for (const r of c.target?.relations ?? []) {
    const [sa, sb] = r.strength;
    if (sa === null || sb === null || Math.abs(sb - sa) < RELATION_MOVE) continue;
    const how = sb > sa ? 'strengthened' : 'weakened';
    out.push(`${r.column}'s relation to ${c.target!.column} ${how}: ${measure[r.measure]} ${sa.toFixed(2)} → ${sb.toFixed(2)}.`);
  }
  for (const d of c.columns) {
    const [ma, mb] = d.missing;
    if (Math.abs(mb - ma) >= 0.05) out.push(`${d.column}: missing values ${(100 * ma).toFixed(1)}% → ${(100 * mb).toFixed(1)}%.`);
  }
  return out;
}
