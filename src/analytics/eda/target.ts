// `--target`: how every column relates to one target column, ranked by strength. The measure
// depends on the two kinds (as ydata-profiling's and sweetviz's associations do):
//   number ~ number           Spearman's rho (Pearson's r shown beside it)
//   number ~ category         the correlation ratio eta (how much of the number's variance the category explains)
//   category ~ category       Cramér's V
// and each relation comes with what an analyst plots: the target's mean (or the share of one
// class) per bin of a numeric column or per category, or a numeric column's mean per class.
// A target with at most TARGET_CLASSES_MAX distinct values, or any text or boolean target, is
// categorical; rows without a target value are left out.
import { contingency, correlationRatio, cramersV, pearson, spearman } from '../../ml/metrics/association.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import type { ColumnProfile } from './columns.ts';
import { CATEGORY_MAX, isCategory, isVaryingNumber } from './relations.ts';
import { q, readColumns, toCodes, toFloat, type Materialized } from './source.ts';

export const TARGET_CLASSES_MAX = 10;
const GROUPS_SHOWN = 12;

export interface TargetRelation {
  column: string;
  measure: 'spearman' | 'eta' | 'cramers_v';
  /** the measure's value, 0 (unrelated) to 1 (for rho, its absolute value) */
  strength: number;
  pearson?: number | null;
  spearman?: number | null;
  /** numeric column: the target's statistic per bin of the column */
  bins?: { edges: number[]; values: (number | null)[]; counts: number[]; integer: boolean };
  /** categorical column: the target's statistic per category (the most frequent first) */
  groups?: { labels: string[]; values: (number | null)[]; counts: number[] };
  /** what `values` are: "mean price", "share of churned = yes", "mean age" */
  statistic: string;
}

export interface TargetAnalysis {
  target: string;
  kind: 'numeric' | 'categorical';
  rows: number;
  /** categorical target: its classes (most frequent first) and counts */
  classes?: { label: string; count: number }[];
  /** the class whose share is charted per group: the rarer of two, or the most frequent of more */
  focus?: string;
  relations: TargetRelation[];
  skipped: { column: string; reason: string }[];
}

export async function targetAnalysis(wh: Warehouse, m: Materialized, columns: ColumnProfile[], target: string): Promise<TargetAnalysis> {
  const t = columns.find((c) => c.name === target);
  if (!t) throw new Error(`no such column: ${target} (columns: ${columns.map((c) => c.name).join(', ')})`);
  if (t.missing === t.rows) throw new Error(`--target ${target}: every value is missing`);
  const kind: TargetAnalysis['kind'] = t.kind === 'numeric' && t.distinct > TARGET_CLASSES_MAX ? 'numeric' : 'categorical';
  const skipped: TargetAnalysis['skipped'] = [];
  const features = columns.filter((c) => {
    if (c.name === target) return false;
    const why = c.distinct <= 1 ? 'constant' : c.kind === 'time' ? 'a time column (see the time coverage)'
      : c.kind === 'numeric' ? (isVaryingNumber(c) ? '' : 'constant')
      : isCategory(c) ? '' : `${c.distinct.toLocaleString('en-US')} distinct values (more than ${CATEGORY_MAX}: an identifier or free text)`;
    if (why) skipped.push({ column: c.name, reason: why });
    return !why;
  });
  const select = [t, ...features].map((c) => (c.kind === 'numeric' ? `CAST(${q(c.name)} AS DOUBLE)` : q(c.name))).join(', ');
  const cols = await readColumns(wh, `SELECT ${select} FROM ${m.tmp} WHERE ${q(target)} IS NOT NULL`);
  const rows = cols[0]!.length;
  const out: TargetAnalysis = { target, kind, rows, relations: [], skipped };
  let y: Float64Array | null = null, yc: { codes: Int32Array; labels: string[] } | null = null, focus = -1;
  if (kind === 'numeric') y = toFloat(cols[0]!);
  else {
    yc = toCodes(cols[0]!, TARGET_CLASSES_MAX);
    const counts = new Array<number>(yc.labels.length).fill(0);
    for (const c of yc.codes) if (c >= 0) counts[c]!++;
    out.classes = yc.labels.map((label, i) => ({ label, count: counts[i]! }));
    focus = yc.labels.length === 2 ? 1 : 0;
    out.focus = yc.labels[focus];
  }
  // the target as a number for per-group means: itself, or 1 where it is the focus class
  const yv = y ?? Float64Array.from(yc!.codes, (c) => (c < 0 ? NaN : c === focus ? 1 : 0));
  const stat = kind === 'numeric' ? `mean ${target}` : `share of ${target} = ${out.focus}`;
  features.forEach((f, k) => {
    const values = cols[k + 1]!;
    if (f.kind === 'numeric') {
      const x = toFloat(values);
      const h = f.numeric!.histogram;
      const bins = perBin(x, yv, h.edges);
      if (kind === 'numeric') {
        const rho = finite(spearman(x, y!)), r = finite(pearson(x, y!));
        out.relations.push({
          column: f.name, measure: 'spearman', strength: Math.abs(rho ?? 0), pearson: r, spearman: rho, bins: { ...bins, integer: h.integer }, statistic: stat,
        });
      } else {
        const eta = finite(correlationRatio(yc!.codes, yc!.labels.length, x)) ?? 0;
        out.relations.push({ column: f.name, measure: 'eta', strength: eta, bins: { ...bins, integer: h.integer }, statistic: stat });
      }
    } else {
      const fc = toCodes(values);
      const g = perGroup(fc.codes, fc.labels, yv);
      const strength = kind === 'numeric'
        ? finite(correlationRatio(fc.codes, fc.labels.length, y!)) ?? 0
        : finite(cramersV(contingency(fc.codes, fc.labels.length, yc!.codes, yc!.labels.length))) ?? 0;
      out.relations.push({ column: f.name, measure: kind === 'numeric' ? 'eta' : 'cramers_v', strength, groups: g, statistic: stat });
    }
  });
  out.relations.sort((a, b) => b.strength - a.strength);
  return out;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The mean of `y` in each bin of `x` (equal-width edges; values beyond fall in the end bins, as in the histogram). */
function perBin(x: Float64Array, y: Float64Array, edges: number[]): { edges: number[]; values: (number | null)[]; counts: number[] } {
  const bins = edges.length - 1, lo = edges[0]!, hi = edges[bins]!;
  const w = (hi - lo) / bins;
  const sum = new Float64Array(bins), cnt = new Float64Array(bins);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!, t = y[i]!;
    if (v !== v || t !== t) continue;
    const b = w > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w))) : 0;
    sum[b] += t; cnt[b]++;
  }
  return { edges, values: Array.from(sum, (s, b) => (cnt[b]! ? s / cnt[b]! : null)), counts: Array.from(cnt) };
}

/** The mean of `y` per group, the most frequent groups first. */
function perGroup(codes: Int32Array, labels: string[], y: Float64Array): NonNullable<TargetRelation['groups']> {
  const sum = new Float64Array(labels.length), cnt = new Float64Array(labels.length);
  for (let i = 0; i < codes.length; i++) { const c = codes[i]!, v = y[i]!; if (c >= 0 && v === v) { sum[c] += v; cnt[c]++; } }
  const shown = Math.min(labels.length, GROUPS_SHOWN);
  return {
    labels: labels.slice(0, shown), counts: Array.from(cnt.subarray(0, shown)),
    values: Array.from(sum.subarray(0, shown), (s, i) => (cnt[i]! ? s / cnt[i]! : null)),
  };
}
