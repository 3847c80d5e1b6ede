// The EDA profile (and the comparison of two tables) as one self-contained HTML file: inline CSS
// and inline SVG charts with axes (svg.ts), no script, no CDN, no external request, so it opens
// offline and can be mailed as an attachment.
import type { Comparison, ColumnDrift } from './compare.ts';
import { fmt, measureName, type ColumnProfile, type EdaProfile } from './profile.ts';
import type { Matrix } from './relations.ts';
import { binnedBars, categoryBars, COLORS, esc, horizontalBars, missingMatrix, scatter } from './svg.ts';
import type { TargetRelation } from './target.ts';

export { esc } from './svg.ts';

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1120px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{margin:.2rem 0}h4{margin:.6rem 0 .2rem;font-size:.9rem;color:#555}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}.n{text-align:right;font-variant-numeric:tabular-nums}
.overview tr:nth-child(even),.facts tr:nth-child(even),.drift tr:nth-child(even){background:#f6f6f6}.facts th{color:#555;font-weight:500;white-space:nowrap}
.col{border:1px solid #e3e3e3;border-radius:6px;padding:.8rem;margin:1rem 0}` +
  `.grid{display:grid;grid-template-columns:minmax(0,1fr) 390px;gap:1rem;align-items:start}
.top td.v{max-width:150px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.note{color:#777;font-size:.8rem;margin:.1rem 0}
.corr td{text-align:center;min-width:3.2rem;font-size:.85rem}` +
  `.corr th{font-weight:500;font-size:.8rem;max-width:7rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
ul.findings li{margin:.25rem 0}.warnings{background:#fff4e5;border:1px solid #f0c36d;border-radius:6px;padding:.4rem 1rem .4rem 2rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts figure{margin:0}.charts figcaption{font-size:.85rem;color:#444}
.matrices{display:flex;flex-wrap:wrap;gap:2rem;align-items:start}.scroll{overflow-x:auto;max-width:100%}
.shifted{color:#b42318;font-weight:600}.moderate{color:#b54708;font-weight:600}.stable{color:#067647}
svg.chart text{fill:#333}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${STYLE}</style></head><body>
<h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

/** Horizontal bars for top values: the count and the share of present values. */
function topTable(c: ColumnProfile): string {
  if (!c.top.length) return '';
  const max = Math.max(...c.top.map((t) => t.count));
  const denom = Math.max(1, c.rows - c.missing);
  return `<table class="top">${c.top.map((t) => `<tr><td class="v" ` +
    `title="${esc(t.value)}">${esc(t.value.length > 40 ? t.value.slice(0, 39) + '…' : t.value)}</td>` +
    `<td><svg width="120" height="10" aria-hidden="true"><rect width="${((120 * t.count) / max).toFixed(1)}" height="10" fill="${COLORS.b}"/></svg></td>` +
    `<td class="n">${int(t.count)}</td><td class="n">${((100 * t.count) / denom).toFixed(1)}%</td></tr>`).join('')}</table>`;
}

function heat(r: number | null): string {
  if (r === null) return '#eee';
  const a = Math.min(1, Math.abs(r));
  return r >= 0 ? `rgba(76,120,168,${a.toFixed(2)})` : `rgba(228,87,86,${a.toFixed(2)})`;
}

function matrixTable(m: Matrix, caption: string): string {
  if (m.columns.length < 2) return '';
  return `<div class="scroll"><h4>${esc(caption)}</h4><table class="corr"><tr><th>` +
    `</th>${m.columns.map((c) => `<th title="${esc(c)}">${esc(c)}</th>`).join('')}</tr>${m.matrix.map((row, i) =>
    `<tr><th title="${esc(m.columns[i]!)}">${esc(m.columns[i]!)}</th>${row.map((r) => `<td ` +
      `style="background:${heat(r)}">${r === null ? '' : (Math.abs(r) < 0.005 ? 0 : r).toFixed(2)}</td>`).join('')}</tr>`).join('')}</table></div>`;
}

function columnSection(c: ColumnProfile): string {
  const facts: [string, string][] = [
    ['type', `${c.type} (${c.kind})`], ['missing', `${int(c.missing)} (${pct(c.missing_share)})`], ['distinct', int(c.distinct)],
  ];
  let chart = '';
  const m = c.numeric;
  if (m) {
    facts.push(['min / median / max', `${fmt(m.min)} / ${fmt(m.median)} / ${fmt(m.max)}`], ['mean ± std', `${fmt(m.mean)} ± ${fmt(m.std)}`],
      ['Q1 / Q3', `${fmt(m.q1)} / ${fmt(m.q3)}`], ['skewness', Number.isFinite(m.skew) ? m.skew.toFixed(2) : 'n/a'],
      ['outliers (IQR)', `${int(m.outliers_iqr.count)} (${pct(m.outliers_iqr.share)}) outside [${fmt(m.outliers_iqr.low)}, ${fmt(m.outliers_iqr.high)}]`],
      [`outliers (|z| > ${m.outliers_z.threshold})`, `${int(m.outliers_z.count)} (${pct(m.outliers_z.share)})`],
      ['zeros / negatives', `${int(m.zeros)} / ${int(m.negatives)}`]);
    const clipped = m.histogram.edges[0]! > m.min || m.histogram.edges.at(-1)! < m.max;
    chart = binnedBars(m.histogram.edges, [{ values: m.histogram.counts, color: COLORS.a, label: c.name }],
      { title: `${c.name} histogram`, xLabel: c.name, yLabel: 'rows', integer: m.histogram.integer }) +
      `<p class="note">${m.histogram.integer ? 'whole-number bins' : 'equal-width bins'}` +
      `${clipped ? '; over the IQR whiskers, values beyond them counted in the end bars' : ''}</p>`;
  } else if (c.time) {
    facts.push(['from', c.time.min], ['to', c.time.max], ['span', `${Math.round(c.time.days)} days`], ['empty months', String(c.time.empty_months)]);
    chart = categoryBars(c.time.months.map((x) => x.month), [{ values: c.time.months.map((x) => x.count), color: COLORS.time, label: c.name }],
      { title: `${c.name} rows per month`, xLabel: 'month', yLabel: 'rows' });
  }
  const top = c.top.length
    ? `<h4>top values</h4>${topTable(c)}`
    : c.numeric ? `<p class="note">continuous (${int(c.distinct)} distinct values): no top-values list</p>` : '';
  return `<section class="col" id="c-${esc(c.name)}"><h3>${esc(c.name)}</h3><div class="grid">` +
    `<table class="facts">${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>` +
    `<div>${chart}${top}</div></div></section>`;
}

function relationChart(r: TargetRelation, target: string): string {
  const title = `${target} by ${r.column}`;
  if (r.bins) {
    return binnedBars(r.bins.edges, [{ values: r.bins.values.map((v) => v ?? NaN), color: COLORS.a, label: r.statistic }],
      { title, xLabel: r.column, yLabel: r.statistic, integer: r.bins.integer, share: r.statistic.startsWith('share') });
  }
  if (r.groups) {
    return horizontalBars(r.groups.labels, [{ values: r.groups.values.map((v) => v ?? NaN), color: COLORS.a, label: r.statistic }],
      { title, xLabel: r.statistic, share: r.statistic.startsWith('share'), counts: r.groups.counts });
  }
  return '';
}

function targetSection(p: EdaProfile): string {
  const t = p.target;
  if (!t) return '';
  const classes = t.classes
    ? `<p>${esc(t.target)} is categorical: ${t.classes.map((c) => `${esc(c.label)} ${int(c.count)}`).join(', ')}; ` +
      `charts show the share of <b>${esc(t.focus ?? '')}</b>.</p>`
    : `<p>${esc(t.target)} is numeric; charts show its mean per bin or category.</p>`;
  const table = `<table class="overview"><tr><th>column</th><th>measure</th><th class="n">strength</th>` +
    `<th class="n">Pearson r</th><th class="n">Spearman rho</th></tr>${t.relations.map((r) =>
    `<tr><td>${esc(r.column)}</td><td>${esc(measureName(r.measure))}</td><td class="n">${r.strength.toFixed(3)}</td>` +
      `<td class="n">${r.pearson == null ? '' : r.pearson.toFixed(3)}</td>` +
      `<td class="n">${r.spearman == null ? '' : r.spearman.toFixed(3)}</td></tr>`).join('')}</table>`;
  const skipped = t.skipped.length ? `<p class="note">Not analysed: ${t.skipped.map((s) => `${esc(s.column)} (${esc(s.reason)})`).join('; ')}.</p>` : '';
  const charts = `<div class="charts" id="target-charts">${t.relations.map((r) => `<figure>${relationChart(r, t.target)}` +
    `<figcaption>${esc(r.column)}: ${esc(measureName(r.measure))} ${r.strength.toFixed(2)}</figcaption></figure>`).join('')}</div>`;
  return `<h2 id="target">Target: ${esc(t.target)}</h2>${classes}<p>${int(t.rows)} rows with a target value. Columns ` +
    `ranked by the strength of their relation to it.</p>${table}${skipped}${charts}`;
}

export function renderHtml(p: EdaProfile, opts: { title?: string; generatedAt?: Date } = {}): string {
  const title = opts.title ?? `EDA: ${p.table}`;
  const rel = p.relations;
  const overview = `<table class="overview"><tr><th>column</th><th>type</th><th class="n">missing</th>` +
    `<th class="n">distinct</th><th class="n">IQR outliers</th><th class="n">z outliers</th></tr>${p.columns.map((c) =>
    `<tr><td><a href="#c-${esc(c.name)}">${esc(c.name)}</a></td><td>${esc(c.type)}</td>` +
      `<td class="n">${pct(c.missing_share)}</td><td class="n">${int(c.distinct)}</td>` +
    `<td class="n">${c.numeric ? int(c.numeric.outliers_iqr.count) : ''}</td>` +
    `<td class="n">${c.numeric ? int(c.numeric.outliers_z.count) : ''}</td></tr>`).join('')}</table>`;
  const coverage = p.coverage
    ? `<p>Column <b>${esc(p.coverage.column)}</b> runs from ${esc(p.coverage.min)} to ${esc(p.coverage.max)} (${Math.round(p.coverage.days)} days).</p>`
    : '<p>No date or time column.</p>';
  const warnings = p.warnings.length ? `<h2>Warnings</h2><ul class="warnings">${p.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '';
  const mm = p.missing_matrix;
  const anyMissing = p.columns.some((c) => c.missing > 0);
  const missing = `<h2 id="missing">Missing values</h2>` + (anyMissing
    ? `<p>Each column of the table is a column here; rows run from top to bottom in file order, ` +
      `in ${int(mm.blocks.length)} blocks. Dark: present; light: missing (lighter when more is missing in the block).</p>` +
      `<div class="scroll">${missingMatrix(mm.columns, mm.blocks, p.rows)}</div>`
    : '<p>No value is missing.</p>');
  const d = p.duplicates;
  const dupCols = p.columns.map((c) => c.name);
  const duplicates = `<h2 id="duplicates">Duplicate rows</h2>` + (d.rows
    ? `<p>${int(d.rows)} rows (${pct(d.share)}) repeat an earlier row in every column. The most repeated:</p>` +
      `<div class="scroll"><table class="overview"><tr><th class="n">times</th>${dupCols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${d.examples.map((e) =>
      `<tr><td class="n">${int(e.count)}</td>${dupCols.map((c) => `<td>${esc(e.row[c] ?? '')}</td>`).join('')}</tr>`).join('')}</table></div>`
    : '<p>No row repeats another in every column.</p>');
  const corr = rel.pearson.columns.length >= 2 || rel.cramers_v.columns.length >= 2
    ? `<div class="matrices">${matrixTable(rel.pearson, 'Pearson r (linear)')}` +
      `${matrixTable(rel.spearman, 'Spearman rho (rank, monotonic)')}${matrixTable(rel.cramers_v, "Cramér's V (categories, 0 to 1)")}</div>`
    : '<p>Fewer than two numeric or categorical columns that vary: no correlations.</p>';
  const scatters = rel.scatter.length
    ? `<h2 id="scatter">Scatter plots of the most related pairs</h2>` +
      `<p class="note">${int(rel.scatter[0]!.x.length)} sampled rows (seeded, the same each run).</p><div class="charts">${rel.scatter.map((s) =>
      `<figure>${scatter(s.x, s.y, { title: `${s.b} against ${s.a}`, xLabel: s.a, yLabel: s.b })}<figcaption>${esc(s.a)} ` +
        `× ${esc(s.b)}: r = ${(s.pearson ?? NaN).toFixed(2)}, rho = ${(s.spearman ?? NaN).toFixed(2)}</figcaption></figure>`).join('')}</div>`
    : '';
  const generated = opts.generatedAt ? ` on ${esc(opts.generatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'))}` : '';
  return page(title, `<p>${int(p.rows)} rows, ${p.columns.length} columns; profiled in ${p.seconds.toFixed(2)} s${generated} by Tributary.</p>
${warnings}
<h2>Summary</h2><ul class="findings">${p.findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
<h2>Columns</h2>${overview}
${missing}
${duplicates}
<h2>Time coverage</h2>${coverage}
<h2 id="correlations">Correlations</h2>${corr}
${scatters}
${targetSection(p)}
<h2>Column details</h2>${p.columns.map(columnSection).join('\n')}`);
}

const pair = (v: [number, number] | undefined, f: (x: number) => string = fmt) => (v ? `${f(v[0])} → ${f(v[1])}` : '');
const pval = (p: number | undefined) => (p === undefined || !Number.isFinite(p) ? '' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

function driftChart(d: ColumnDrift, a: string, b: string): string {
  const series = (va: number[], vb: number[]) => [{ values: va, color: COLORS.a, label: a }, { values: vb, color: COLORS.b, label: b }];
  if ('edges' in d.chart) {
    // a time column's bins are epoch seconds: its ticks are dates
    const dates = d.kind === 'time' ? { xFormat: (v: number) => new Date(v * 1000).toISOString().slice(0, 10) } : {};
    return binnedBars(d.chart.edges, series(d.chart.a, d.chart.b),
      { title: `${d.column}: ${a} and ${b}`, xLabel: d.column, yLabel: 'share of rows', share: true, integer: d.chart.integer, ...dates });
  }
  return horizontalBars(d.chart.labels, series(d.chart.a, d.chart.b), { title: `${d.column}: ${a} and ${b}`, xLabel: 'share of rows', share: true });
}

/** The comparison report: what changed between A (the reference) and B, the most drifted first. */
export function renderCompareHtml(c: Comparison, opts: { generatedAt?: Date; labels?: [string, string] } = {}): string {
  const [la, lb] = opts.labels ?? ['A', 'B'];
  const table = `<div class="scroll"><table class="drift overview"><tr><th>column</th><th>kind</th><th>verdict</th>` +
    `<th class="n">PSI</th><th class="n">KS D</th><th class="n">KS p</th><th class="n">chi² p</th>` +
    `<th class="n">missing</th><th class="n">mean</th><th class="n">distinct</th></tr>${c.columns.map((d) =>
    `<tr><td><a href="#d-${esc(d.column)}">${esc(d.column)}</a></td><td>${esc(d.kind)}</td>` +
      `<td class="${d.verdict}">${d.verdict}</td><td class="n">${d.psi.toFixed(3)}</td>` +
    `<td class="n">${d.ks === undefined ? '' : d.ks.toFixed(3)}</td><td class="n">${pval(d.ks_pvalue)}</td><td class="n">${pval(d.chi2_pvalue)}</td>` +
    `<td class="n">${pair(d.missing, pct)}</td><td class="n">${pair(d.mean)}</td><td class="n">${pair(d.distinct, int)}</td></tr>`).join('')}</table></div>`;
  const sections = c.columns.map((d) => `<section class="col" id="d-${esc(d.column)}">` +
    `<h3>${esc(d.column)} <span class="${d.verdict}">${d.verdict}</span></h3><div class="grid"><table class="facts">` +
    ([['kind', d.kind], ['PSI', d.psi.toFixed(4)], ...(d.ks !== undefined ? [['KS D (p)', `${d.ks.toFixed(4)} (${pval(d.ks_pvalue)})`]] : []),
      ...(d.chi2_pvalue !== undefined ? [['chi-squared p', pval(d.chi2_pvalue)]] : []),
      ['missing', pair(d.missing, pct)], ['distinct', pair(d.distinct, int)],
      ...(d.mean ? [['mean', pair(d.mean)], ['median', pair(d.median)], ['std', pair(d.std)]] : [])] as [string, string][])
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('') + `</table><div>${driftChart(d, la, lb)}</div></div></section>`).join('\n');
  return page(`EDA comparison: ${c.a.name} vs ${c.b.name}`, `<p>${esc(la)} = ${esc(c.a.name)} (${int(c.a.rows)} rows, ` +
    `the reference); ${esc(lb)} = ${esc(c.b.name)} (${int(c.b.rows)} rows)` +
    `${opts.generatedAt ? `; compared on ${esc(opts.generatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'))}` : ''} by Tributary. ` +
    `Verdicts: PSI &lt; 0.1 stable, &lt; 0.25 moderate, else shifted; ` +
    `a test significant at 0.1% with a visible effect makes a stable column moderate.</p>
<h2>Summary</h2><ul class="findings">${c.findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
<h2>Drift by column</h2>${table}${skippedHtml(c)}${targetHtml(c, la, lb)}
<h2>Column by column</h2>${sections}`);
}

function skippedHtml(c: Comparison): string {
  if (!c.skipped.length) return '';
  return `<p>Not compared: ${c.skipped.map((s) => `${esc(s.column)} (${esc(s.reason)}, ${esc(s.detail)})`).join('; ')}.</p>`;
}

function targetHtml(c: Comparison, la: string, lb: string): string {
  if (!c.target) return '';
  const cell = (v: number | null) => `<td class="n">${v === null ? '' : v.toFixed(3)}</td>`;
  return `<h2>Relations to ${esc(c.target.column)}</h2><div class="scroll"><table class="drift overview"><tr><th>column</th><th>measure</th>` +
    `<th class="n">${esc(la)}</th><th class="n">${esc(lb)}</th></tr>${c.target.relations.map((r) =>
      `<tr><td>${esc(r.column)}</td><td>${esc(r.measure)}</td>${cell(r.strength[0])}${cell(r.strength[1])}</tr>`).join('')}</table></div>`;
}
