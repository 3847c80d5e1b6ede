// The EDA profile as one self-contained HTML file: inline CSS and inline SVG charts, no script,
// no CDN, no external request, so it opens offline and can be mailed as an attachment.
import { fmt, type ColumnProfile, type EdaProfile } from './profile.ts';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const W = 360, H = 120;

/** Vertical bars with a label under the first and last bar and a tooltip per bar. */
export function barChart(bars: { label: string; value: number }[], opts: { color?: string; title?: string } = {}): string {
  if (!bars.length) return '';
  const max = Math.max(1, ...bars.map((b) => b.value));
  const bw = W / bars.length;
  const rects = bars.map((b, i) => {
    const h = (b.value / max) * (H - 20);
    return `<rect x="${(i * bw + 0.5).toFixed(1)}" y="${(H - 16 - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${opts.color ?? '#4C78A8'}"><title>${esc(b.label)}: ${b.value.toLocaleString('en-US')}</title></rect>`;
  }).join('');
  const first = esc(bars[0]!.label), last = esc(bars[bars.length - 1]!.label);
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title ?? 'distribution')}">${rects}` +
    `<line x1="0" y1="${H - 16}" x2="${W}" y2="${H - 16}" stroke="#999"/>` +
    `<text x="0" y="${H - 3}" font-size="10">${first}</text><text x="${W}" y="${H - 3}" font-size="10" text-anchor="end">${last}</text></svg>`;
}

/** Horizontal bars for top values. */
function topChart(c: ColumnProfile): string {
  if (!c.top.length) return '';
  const max = Math.max(...c.top.map((t) => t.count));
  const denom = Math.max(1, c.rows - c.missing);
  return `<table class="top">${c.top.map((t) => `<tr><td class="v" title="${esc(t.value)}">${esc(t.value.length > 40 ? t.value.slice(0, 39) + '…' : t.value)}</td>` +
    `<td><svg width="120" height="10"><rect width="${((120 * t.count) / max).toFixed(1)}" height="10" fill="#F58518"/></svg></td>` +
    `<td class="n">${t.count.toLocaleString('en-US')}</td><td class="n">${((100 * t.count) / denom).toFixed(1)}%</td></tr>`).join('')}</table>`;
}

function heat(r: number | null): string {
  if (r === null) return '#eee';
  const a = Math.min(1, Math.abs(r));
  return r >= 0 ? `rgba(76,120,168,${a.toFixed(2)})` : `rgba(228,87,86,${a.toFixed(2)})`;
}

function columnSection(c: ColumnProfile): string {
  const facts: [string, string][] = [
    ['type', `${c.type} (${c.kind})`], ['missing', `${c.missing.toLocaleString('en-US')} (${(100 * c.missing_share).toFixed(2)}%)`],
    ['distinct', c.distinct.toLocaleString('en-US')],
  ];
  let chart = '';
  const m = c.numeric;
  if (m) {
    facts.push(['min / median / max', `${fmt(m.min)} / ${fmt(m.median)} / ${fmt(m.max)}`], ['mean ± std', `${fmt(m.mean)} ± ${fmt(m.std)}`],
      ['Q1 / Q3', `${fmt(m.q1)} / ${fmt(m.q3)}`], ['skewness', Number.isFinite(m.skew) ? m.skew.toFixed(2) : 'n/a'],
      ['outliers (IQR)', `${m.outliers_iqr.count.toLocaleString('en-US')} (${(100 * m.outliers_iqr.share).toFixed(2)}%) outside [${fmt(m.outliers_iqr.low)}, ${fmt(m.outliers_iqr.high)}]`],
      [`outliers (|z| > ${m.outliers_z.threshold})`, `${m.outliers_z.count.toLocaleString('en-US')} (${(100 * m.outliers_z.share).toFixed(2)}%)`],
      ['zeros / negatives', `${m.zeros.toLocaleString('en-US')} / ${m.negatives.toLocaleString('en-US')}`]);
    chart = barChart(m.histogram.map((b) => ({ label: `${fmt(b.lo)} – ${fmt(b.hi)}`, value: b.count })), { title: `${c.name} histogram` }) +
      '<p class="note">histogram over the IQR whiskers; values beyond them fall in the end bars</p>';
  } else if (c.time) {
    facts.push(['from', c.time.min], ['to', c.time.max], ['span', `${Math.round(c.time.days)} days`], ['empty months', String(c.time.empty_months)]);
    chart = barChart(c.time.months.map((x) => ({ label: x.month, value: x.count })), { color: '#54A24B', title: `${c.name} rows per month` }) + '<p class="note">rows per month</p>';
  }
  return `<section class="col"><h3>${esc(c.name)}</h3><div class="grid"><table class="facts">${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>` +
    `<div>${chart}<h4>top values</h4>${topChart(c)}</div></div></section>`;
}

export function renderHtml(p: EdaProfile, opts: { title?: string; generatedAt?: Date } = {}): string {
  const title = opts.title ?? `EDA: ${p.table}`;
  const cm = p.correlations;
  const corr = cm.columns.length >= 2
    ? `<table class="corr"><tr><th></th>${cm.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${cm.matrix.map((row, i) =>
      `<tr><th>${esc(cm.columns[i]!)}</th>${row.map((r) => `<td style="background:${heat(r)}">${r === null ? '' : r.toFixed(2)}</td>`).join('')}</tr>`).join('')}</table>`
    : '<p>Fewer than two numeric columns with variance: no correlations.</p>';
  const overview = `<table class="overview"><tr><th>column</th><th>type</th><th>missing</th><th>distinct</th><th>IQR outliers</th><th>z outliers</th></tr>${p.columns.map((c) =>
    `<tr><td><a href="#c-${esc(c.name)}">${esc(c.name)}</a></td><td>${esc(c.type)}</td><td class="n">${(100 * c.missing_share).toFixed(2)}%</td><td class="n">${c.distinct.toLocaleString('en-US')}</td>` +
    `<td class="n">${c.numeric ? c.numeric.outliers_iqr.count.toLocaleString('en-US') : ''}</td><td class="n">${c.numeric ? c.numeric.outliers_z.count.toLocaleString('en-US') : ''}</td></tr>`).join('')}</table>`;
  const coverage = p.coverage
    ? `<p>Column <b>${esc(p.coverage.column)}</b> runs from ${esc(p.coverage.min)} to ${esc(p.coverage.max)} (${Math.round(p.coverage.days)} days).</p>`
    : '<p>No date or time column.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{margin:.2rem 0}h4{margin:.6rem 0 .2rem;font-size:.9rem;color:#555}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}.n{text-align:right;font-variant-numeric:tabular-nums}
.overview tr:nth-child(even),.facts tr:nth-child(even){background:#f6f6f6}.facts th{color:#555;font-weight:500;white-space:nowrap}
.col{border:1px solid #e3e3e3;border-radius:6px;padding:.8rem;margin:1rem 0}.grid{display:grid;grid-template-columns:1fr 380px;gap:1rem;align-items:start}
.top td.v{max-width:220px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.note{color:#777;font-size:.8rem;margin:.1rem 0}
.corr td{text-align:center;min-width:3.2rem}.corr th{font-weight:500;font-size:.85rem}ul.findings li{margin:.25rem 0}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${p.rows.toLocaleString('en-US')} rows, ${p.columns.length} columns; profiled in ${p.seconds.toFixed(2)} s${opts.generatedAt ? ` on ${esc(opts.generatedAt.toISOString())}` : ''} by Tributary.</p>
<h2>Summary</h2><ul class="findings">${p.findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>
<h2>Columns</h2>${overview}
<h2>Time coverage</h2>${coverage}
<h2>Correlations (Pearson)</h2>${corr}
<h2>Column details</h2>${p.columns.map((c) => `<div id="c-${esc(c.name)}">${columnSection(c)}</div>`).join('\n')}
</body></html>
`;
}
