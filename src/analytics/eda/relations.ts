// How columns relate to each other: Pearson and Spearman matrices over the numeric columns
// (pairwise complete rows, as pandas' DataFrame.corr), Cramér's V over the categorical ones, and
// scatter samples of the most related numeric pairs. The columns are read once into typed arrays;
// each column's ranks are computed once and reused for every pair where neither side misses a
// value (the usual case), so Spearman costs a sort per column, not per pair.
import { averageRanks, cramersV, pearson, spearman } from '../../ml/metrics/association.ts';
import { Rng } from '../../ml/core/rng.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import type { ColumnProfile } from './columns.ts';
import { q, readColumns, toFloat, type Materialized } from './source.ts';

export interface Matrix { columns: string[]; matrix: (number | null)[][] }
export interface NumericPair { a: string; b: string; pearson: number | null; spearman: number | null }
export interface CategoricalPair { a: string; b: string; v: number }
export interface ScatterSample { a: string; b: string; pearson: number | null; spearman: number | null; x: number[]; y: number[] }

export interface Relations {
  pearson: Matrix;
  spearman: Matrix;
  cramers_v: Matrix;
  /** numeric pairs by the larger of |r| and |rho|, strongest first */
  strongest: NumericPair[];
  categorical_strongest: CategoricalPair[];
  scatter: ScatterSample[];
}

/** Readable matrices: at most this many columns each (the rest are described per column). */
export const MATRIX_MAX = 16;
/** Categorical columns with more levels than this are identifiers or free text, not categories. */
export const CATEGORY_MAX = 50;

/** A text or boolean column with a few levels, each shared by several rows (not an identifier). */
export const isCategory = (c: ColumnProfile) => (c.kind === 'text' || c.kind === 'boolean') && c.distinct >= 2 && c.distinct <= CATEGORY_MAX &&
  c.distinct <= 0.5 * (c.rows - c.missing);
export const isVaryingNumber = (c: ColumnProfile) => !!c.numeric && c.numeric.std > 0;

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export interface RelationOptions { scatterPairs?: number; scatterPoints?: number; seed?: number }

export async function relations(wh: Warehouse, m: Materialized, columns: ColumnProfile[], opts: RelationOptions = {}): Promise<Relations> {
  const numeric = columns.filter(isVaryingNumber).slice(0, MATRIX_MAX);
  const categorical = columns.filter(isCategory).slice(0, MATRIX_MAX);
  const select = numeric.map((c) => `CAST(${q(c.name)} AS DOUBLE)`).join(', ');
  const x = numeric.length >= 2 ? (await readColumns(wh, `SELECT ${select} FROM ${m.tmp}`)).map(toFloat) : [];
  const complete = numeric.map((c) => c.missing === 0);
  const ranks = x.map((col, i) => (complete[i] ? averageRanks(col) : null));
  const names = numeric.map((c) => c.name);
  const pm = square(names.length), sm = square(names.length);
  const pairs: NumericPair[] = [];
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const r = finite(pearson(x[i]!, x[j]!));
      const rho = finite(spearman(x[i]!, x[j]!, ranks[i] && ranks[j] ? { x: ranks[i]!, y: ranks[j]! } : undefined));
      pm[i]![j] = pm[j]![i] = r;
      sm[i]![j] = sm[j]![i] = rho;
      if (r !== null || rho !== null) pairs.push({ a: names[i]!, b: names[j]!, pearson: r, spearman: rho });
    }
  }
  const strength = (p: NumericPair) => Math.max(Math.abs(p.pearson ?? 0), Math.abs(p.spearman ?? 0));
  pairs.sort((a, b) => strength(b) - strength(a));

  // each pair's contingency table is a GROUP BY in DuckDB: no category text crosses into JavaScript
  const catNames = categorical.map((c) => c.name);
  const vm = square(catNames.length);
  const catPairs: CategoricalPair[] = [];
  for (let i = 0; i < catNames.length; i++) {
    for (let j = i + 1; j < catNames.length; j++) {
      const v = finite(cramersV(await crossTable(wh, m.tmp, catNames[i]!, catNames[j]!)));
      vm[i]![j] = vm[j]![i] = v;
      if (v !== null) catPairs.push({ a: catNames[i]!, b: catNames[j]!, v });
    }
  }
  catPairs.sort((a, b) => b.v - a.v);

  // one sample of rows for every scatter plot, the same for a given seed
  const points = Math.min(m.rows, opts.scatterPoints ?? 600);
  const sample = sampleIndices(m.rows, points, opts.seed ?? 42);
  const scatter = pairs.slice(0, opts.scatterPairs ?? 6).filter((p) => strength(p) > 0).map((p) => {
    const xi = names.indexOf(p.a), yi = names.indexOf(p.b);
    return { ...p, x: Array.from(sample, (k) => x[xi]![k]!), y: Array.from(sample, (k) => x[yi]![k]!) };
  });
  return {
    pearson: { columns: names, matrix: pm }, spearman: { columns: names, matrix: sm }, cramers_v: { columns: catNames, matrix: vm },
    strongest: pairs.slice(0, 8), categorical_strongest: catPairs.slice(0, 8), scatter,
  };
}

/** Counts of (a, b) value pairs, rows with either missing left out (pandas' crosstab). */
async function crossTable(wh: Warehouse, tmp: string, a: string, b: string): Promise<number[][]> {
  const rows = await wh.query<{ i: number; j: number; n: number }>(`
    SELECT dense_rank() OVER (ORDER BY a) - 1 AS i, dense_rank() OVER (ORDER BY b) - 1 AS j, n FROM (
      SELECT ${q(a)} AS a, ${q(b)} AS b, count(*)::BIGINT AS n FROM ${tmp} WHERE ${q(a)} IS NOT NULL AND ${q(b)} IS NOT NULL GROUP BY 1, 2)`);
  const r = 1 + Math.max(-1, ...rows.map((x) => Number(x.i))), c = 1 + Math.max(-1, ...rows.map((x) => Number(x.j)));
  const t = Array.from({ length: r }, () => new Array<number>(c).fill(0));
  for (const x of rows) t[Number(x.i)]![Number(x.j)] = Number(x.n);
  return t;
}

function square(n: number): (number | null)[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : null)));
}

/** `k` distinct row indices of `n`, drawn with a seeded partial shuffle, in row order. */
export function sampleIndices(n: number, k: number, seed: number): Uint32Array {
  if (k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed);
  const picked = new Map<number, number>(); // a sparse Fisher-Yates: only the swapped slots are stored
  const out = new Uint32Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const vi = picked.get(i) ?? i, vj = picked.get(j) ?? j;
    out[i] = vj;
    picked.set(j, vi);
  }
  return out.sort();
}
