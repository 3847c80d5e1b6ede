// Measures of association between two columns, defined as scipy defines them (the anchor of
// bench/eda.bench.ts):
// - pearson: scipy.stats.pearsonr's r;
// - spearman: Pearson's r of the average ranks (scipy.stats.spearmanr; ties share their mean rank,
//   scipy.stats.rankdata(method='average'));
// - cramersV: sqrt(chi2 / (n * (min(r, k) - 1))) of a contingency table, chi2 without Yates'
//   correction (scipy.stats.contingency.association(method='cramer'));
// - correlationRatio: eta = sqrt(between-group sum of squares / total sum of squares), how much of
//   a number's variance a category explains (the categorical-numeric case of ydata-profiling);
// - chi2Sf: the upper tail of the chi-squared distribution (scipy.stats.chi2.sf), for p-values.
// Missing values are NaN (numbers) or -1 (category codes); pairs with a missing side are left out.

/** 1-based ranks, tied values sharing the mean of their ranks. */
export function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => x[a]! - x[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && x[order[j]!] === x[order[i]!]) j++;
    const mean = (i + j + 1) / 2; // ranks i+1 .. j
    for (let k = i; k < j; k++) ranks[order[k]!] = mean;
    i = j;
  }
  return ranks;
}

/** Pearson's r; NaN when either side is constant or fewer than 2 pairs are complete. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let n = 0, mx = 0, my = 0;
  for (let i = 0; i < x.length; i++) { const a = x[i]!, b = y[i]!; if (a === a && b === b) { n++; mx += a; my += b; } }
  if (n < 2) return NaN;
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!, b = y[i]!;
    if (a !== a || b !== b) continue;
    const dx = a - mx, dy = b - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** The complete pairs of two columns (both sides present). */
export function completePairs(x: ArrayLike<number>, y: ArrayLike<number>): [Float64Array, Float64Array] {
  const a = new Float64Array(x.length), b = new Float64Array(x.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) { const u = x[i]!, v = y[i]!; if (u === u && v === v) { a[n] = u; b[n] = v; n++; } }
  return [a.subarray(0, n), b.subarray(0, n)];
}

/**
 * Spearman's rho over the complete pairs. `ranks` may hold the columns' ranks computed once
 * over whole columns, valid when neither column has a missing value (the usual case).
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>, ranks?: { x: Float64Array; y: Float64Array }): number {
  if (ranks) return pearson(ranks.x, ranks.y);
  const [a, b] = completePairs(x, y);
  return pearson(averageRanks(a), averageRanks(b));
}

/** Counts of (row code, column code) pairs; codes run 0..levels-1, -1 is missing. */
export function contingency(a: Int32Array, levelsA: number, b: Int32Array, levelsB: number): number[][] {
  const t = Array.from({ length: levelsA }, () => new Array<number>(levelsB).fill(0));
  for (let i = 0; i < a.length; i++) { const u = a[i]!, v = b[i]!; if (u >= 0 && v >= 0) t[u]![v]!++; }
  return t;
}

/** Pearson's chi-squared statistic of independence and its degrees of freedom; empty rows and columns are dropped (as scipy would fail on them). */
export function chi2Independence(table: number[][]): { chi2: number; dof: number; n: number; rows: number; cols: number } {
  const rowSum = table.map((r) => r.reduce((s, v) => s + v, 0));
  const colSum = (table[0] ?? []).map((_, j) => table.reduce((s, r) => s + r[j]!, 0));
  const rows = rowSum.map((s, i) => (s > 0 ? i : -1)).filter((i) => i >= 0);
  const cols = colSum.map((s, j) => (s > 0 ? j : -1)).filter((j) => j >= 0);
  const n = rowSum.reduce((s, v) => s + v, 0);
  let chi2 = 0;
  for (const i of rows) {
    for (const j of cols) {
      const e = (rowSum[i]! * colSum[j]!) / n;
      const d = table[i]![j]! - e;
      chi2 += (d * d) / e;
    }
  }
  return { chi2, dof: (rows.length - 1) * (cols.length - 1), n, rows: rows.length, cols: cols.length };
}

/** Cramér's V of a contingency table (0 = independent, 1 = one determines the other); NaN when a side has one level. */
export function cramersV(table: number[][]): number {
  const { chi2, n, rows, cols } = chi2Independence(table);
  const m = Math.min(rows, cols) - 1;
  if (m < 1 || n === 0) return NaN;
  return Math.min(1, Math.sqrt(chi2 / (n * m)));
}

/** The correlation ratio eta of a numeric column given a category code per row. */
export function correlationRatio(codes: Int32Array, levels: number, values: ArrayLike<number>): number {
  const sum = new Float64Array(levels), cnt = new Float64Array(levels);
  let total = 0, n = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!, v = values[i]!;
    if (c < 0 || v !== v) continue;
    sum[c] += v; cnt[c]++; total += v; n++;
  }
  if (n < 2) return NaN;
  const mean = total / n;
  let between = 0, within = 0;
  for (let c = 0; c < levels; c++) if (cnt[c]! > 0) { const d = sum[c]! / cnt[c]! - mean; between += cnt[c]! * d * d; }
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!, v = values[i]!;
    if (c < 0 || v !== v) continue;
    const d = v - mean;
    within += d * d; // the total sum of squares
  }
  if (within === 0) return NaN;
  return Math.sqrt(Math.min(1, between / within));
}

/** ln Γ(x), Lanczos (g = 7, n = 9), good to ~15 digits for x > 0. */
export function logGamma(x: number): number {
  const g = 7;
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularised upper incomplete gamma Q(a, x), by its series below a + 1 and its continued fraction above (Numerical Recipes 6.2). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPre = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a, del = sum, ap = a;
    for (let i = 0; i < 10_000; i++) { ap++; del *= x / ap; sum += del; if (Math.abs(del) < Math.abs(sum) * 1e-16) break; }
    return Math.max(0, 1 - sum * Math.exp(lnPre));
  }
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b; if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(lnPre) * h);
}

/** P(X >= x) for X ~ chi-squared with `dof` degrees of freedom. */
export function chi2Sf(x: number, dof: number): number {
  if (!(dof > 0) || !(x >= 0)) return NaN;
  return gammaQ(dof / 2, x / 2);
}
