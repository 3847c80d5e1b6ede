// Inline SVG charts for the EDA report, each with labelled axes and round-number ticks (no
// script, no library: the report stays one self-contained file). Tick labels are spaced for
// the chart's width so they never overlap; long category names are cut with an ellipsis and
// kept whole in a tooltip.
import { integerTicks, niceTicks, tickLabel } from './ticks.ts';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const COLORS = { a: '#4C78A8', b: '#F58518', time: '#54A24B', point: '#4C78A8' };

interface Frame { w: number; h: number; left: number; right: number; top: number; bottom: number }
const FRAME: Frame = { w: 380, h: 180, left: 48, right: 12, top: 10, bottom: 38 };

const f1 = (v: number) => v.toFixed(1);
const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

function open(f: Frame, title: string, cls = 'chart'): string {
  return `<svg class="${cls}" viewBox="0 0 ${f.w} ${f.h}" width="${f.w}" height="${f.h}" role="img" aria-label="${esc(title)}" ` +
    'font-size="10" font-family="system-ui,sans-serif">';
}

type Scale = (v: number) => number;
const linear = (d0: number, d1: number, r0: number, r1: number): Scale => (d1 === d0 ? () => (r0 + r1) / 2 : (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));

/** A bottom axis: the line, a tick and a label per value, and the axis title. */
function xAxis(f: Frame, x: Scale, ticks: { at: number; label: string }[], title: string): string {
  const y0 = f.h - f.bottom;
  return `<g class="axis x"><line x1="${f.left}" y1="${y0}" x2="${f.w - f.right}" y2="${y0}" stroke="#888"/>` +
    ticks.map((t) => `<g class="tick"><line x1="${f1(x(t.at))}" y1="${y0}" x2="${f1(x(t.at))}" y2="${y0 + 4}" stroke="#888"/>` +
      `<text x="${f1(x(t.at))}" y="${y0 + 14}" text-anchor="middle">${esc(t.label)}</text></g>`).join('') +
    `<text class="title" x="${f1((f.left + f.w - f.right) / 2)}" y="${f.h - 4}" text-anchor="middle" fill="#555">${esc(title)}</text></g>`;
}

/** A left axis with horizontal grid lines. */
function yAxis(f: Frame, y: Scale, ticks: number[], title: string, fmt: (v: number) => string = tickLabel): string {
  const x0 = f.left;
  return `<g class="axis y"><line x1="${x0}" y1="${f.top}" x2="${x0}" y2="${f.h - f.bottom}" stroke="#888"/>` +
    ticks.map((t) => `<g class="tick"><line x1="${x0 - 4}" y1="${f1(y(t))}" x2="${f.w - f.right}" y2="${f1(y(t))}" stroke="#eee"/>` +
      `<text x="${x0 - 6}" y="${f1(y(t) + 3)}" text-anchor="end">${esc(fmt(t))}</text></g>`).join('') +
    `<text class="title" transform="translate(10 ${f1((f.top + f.h - f.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#555">${esc(title)}</text></g>`;
}

/** The chart's frame; with two series, room above the bars for the legend. */
const frameFor = (series: Series[]): Frame => (series.length > 1 ? { ...FRAME, h: FRAME.h + 16, top: FRAME.top + 16 } : FRAME);

/** How many x tick labels fit: about one per 55 px. */
const xTickCount = (f: Frame) => Math.max(2, Math.floor((f.w - f.left - f.right) / 55));

const int = (v: number) => v.toLocaleString('en-US');
const pctFmt = (v: number) => `${Number((100 * v).toPrecision(3))}%`;

export interface Series { values: number[]; color: string; label: string }

/** One bar with its tooltip: "[series ]what: value". */
function bar(x: number, y: number, w: number, h: number, s: Series, many: boolean, what: string, v: number, share = false): string {
  const value = share ? pctFmt(v) : v.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return `<rect x="${f1(x)}" y="${f1(y)}" width="${f1(w)}" height="${f1(h)}" fill="${s.color}"${many ? ' fill-opacity="0.85"' : ''}>` +
    `<title>${esc(`${many ? s.label + ' ' : ''}${what}: ${value}`)}</title></rect>`;
}

export interface AxisLabels { title: string; xLabel: string; yLabel: string; share?: boolean }

/**
 * Bars over numeric bins (edges.length = values.length + 1), one or two series side by side in
 * each bin; x ticks at round numbers (integers only, for integer columns).
 */
/** `xFormat` labels the x ticks (dates from epoch seconds), with room for 10 characters each. */
export function binnedBars(edges: number[], series: Series[], opts: AxisLabels & { integer?: boolean; xFormat?: (v: number) => string }): string {
  const f = frameFor(series);
  const lo = edges[0]!, hi = edges[edges.length - 1]!;
  const x = linear(lo, hi, f.left, f.w - f.right);
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const yt = niceTicks(0, max || 1, 4);
  const top = Math.max(max, yt[yt.length - 1] ?? 1) || 1;
  const y = linear(0, top, f.h - f.bottom, f.top);
  let bars = '';
  const k = series.length;
  for (let b = 0; b < edges.length - 1; b++) {
    const x0 = x(edges[b]!), x1 = x(edges[b + 1]!), bw = (x1 - x0) / k;
    series.forEach((s, si) => {
      const v = s.values[b] ?? 0;
      if (!Number.isFinite(v)) return;
      const yy = y(Math.max(0, v));
      const range = opts.integer && edges[b + 1]! - edges[b]! <= 1 ? tickLabel(edges[b]! + 0.5) : `${tickLabel(edges[b]!)} – ${tickLabel(edges[b + 1]!)}`;
      bars += bar(x0 + si * bw + 0.5, yy, Math.max(0.8, bw - 1), f.h - f.bottom - yy, s, k > 1, range, v, opts.share);
    });
  }
  const count = opts.xFormat ? Math.max(2, Math.floor((f.w - f.left - f.right) / 80)) : xTickCount(f);
  const xt = opts.integer ? integerTicks(lo, hi, count) : niceTicks(lo, hi, count);
  return open(f, opts.title) + yAxis(f, y, yt, opts.yLabel, opts.share ? pctFmt : tickLabel) + bars +
    xAxis(f, x, xt.map((t) => ({ at: t, label: (opts.xFormat ?? tickLabel)(t) })), opts.xLabel) + legend({ ...f, top: 6 }, series) + '</svg>';
}

function legend(f: Frame, series: Series[]): string {
  if (series.length < 2) return '';
  return `<g class="legend">${series.map((s, i) => `<rect x="${f.w - f.right - 110 + i * 58}" y="${f.top}" width="9" height="9" fill="${s.color}"/>` +
    `<text x="${f.w - f.right - 98 + i * 58}" y="${f.top + 8}">${esc(cut(s.label, 8))}</text>`).join('')}</g>`;
}

/** Bars over labelled categories (months, classes): x labels thinned to what fits. */
export function categoryBars(labels: string[], series: Series[], opts: AxisLabels): string {
  const f = frameFor(series);
  const n = labels.length;
  if (!n) return '';
  const plotW = f.w - f.left - f.right;
  const slot = plotW / n;
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const yt = niceTicks(0, max || 1, 4);
  const top = Math.max(max, yt[yt.length - 1] ?? 1) || 1;
  const y = linear(0, top, f.h - f.bottom, f.top);
  const k = series.length;
  let bars = '';
  for (let i = 0; i < n; i++) {
    const bw = Math.max(0.8, (slot - 1) / k);
    series.forEach((s, si) => {
      const v = s.values[i] ?? 0;
      if (!Number.isFinite(v)) return;
      const yy = y(Math.max(0, v));
      bars += bar(f.left + i * slot + si * bw + 0.5, yy, bw - (k > 1 ? 0.5 : 0), f.h - f.bottom - yy, s, k > 1, labels[i]!, v, opts.share);
    });
  }
  // one label per `every` bars, each at most as wide as the room it has
  const longest = Math.max(...labels.map((l) => l.length));
  const every = Math.max(1, Math.ceil((Math.min(longest, 12) * 6 + 8) / slot));
  const chars = Math.max(3, Math.floor((slot * every - 6) / 6));
  const ticks: { at: number; label: string }[] = [];
  for (let i = 0; i < n; i += every) ticks.push({ at: i, label: cut(labels[i]!, chars) });
  const x = (i: number) => f.left + (i + 0.5) * slot;
  return open(f, opts.title) + yAxis(f, y, yt, opts.yLabel, opts.share ? pctFmt : tickLabel) + bars +
    xAxis(f, x, ticks, opts.xLabel) + legend({ ...f, top: 6 }, series) + '</svg>';
}

/** Horizontal bars, one row per category, for long names (values per class, per category). */
export function horizontalBars(labels: string[], series: Series[], opts: { title: string; xLabel: string; share?: boolean; counts?: number[] }): string {
  const n = labels.length;
  if (!n) return '';
  const row = 16 * Math.max(1, series.length > 1 ? 1.5 : 1);
  // with two series the legend goes above the bars, clear of the axis title
  const top = series.length > 1 ? 26 : 10;
  const f: Frame = { w: 380, h: top + 10 + n * row + 38, left: 110, right: 14, top, bottom: 38 };
  const max = Math.max(0, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const min = Math.min(0, ...series.flatMap((s) => s.values.filter(Number.isFinite)));
  const xt = niceTicks(min, max || 1, xTickCount(f));
  const x = linear(Math.min(min, xt[0] ?? 0), Math.max(max, xt[xt.length - 1] ?? 1) || 1, f.left, f.w - f.right);
  const k = series.length;
  let out = '';
  labels.forEach((l, i) => {
    const y0 = f.top + i * row;
    out += `<text x="${f.left - 6}" y="${f1(y0 + row / 2 + 3)}" text-anchor="end"><title>${esc(l)}</title>${esc(cut(l, 18))}</text>`;
    series.forEach((s, si) => {
      const v = s.values[i] ?? 0;
      if (!Number.isFinite(v)) return;
      const bh = (row - 3) / k;
      const a = x(Math.min(0, v)), b = x(Math.max(0, v));
      const what = opts.counts ? `${l} (${opts.counts[i]!.toLocaleString('en-US')} rows)` : l;
      out += bar(a, y0 + 1 + si * bh, Math.max(0.8, b - a), bh, s, k > 1, what, v, opts.share);
    });
  });
  const y0 = f.h - f.bottom;
  const axis = `<g class="axis x"><line x1="${f.left}" y1="${y0}" x2="${f.w - f.right}" y2="${y0}" stroke="#888"/>` +
    xt.map((t) => `<g class="tick"><line x1="${f1(x(t))}" y1="${f.top}" x2="${f1(x(t))}" y2="${y0 + 4}" stroke="#eee"/>` +
      `<text x="${f1(x(t))}" y="${y0 + 14}" text-anchor="middle">${esc(opts.share ? pctFmt(t) : tickLabel(t))}</text></g>`).join('') +
    `<text class="title" x="${f1((f.left + f.w - f.right) / 2)}" y="${f.h - 4}" text-anchor="middle" fill="#555">${esc(opts.xLabel)}</text></g>`;
  return open(f, opts.title) + axis + out + legend({ ...f, top: 6 }, series) + '</svg>';
}

/** A scatter plot of sampled points, with both axes. */
export function scatter(xs: ArrayLike<number>, ys: ArrayLike<number>, opts: { title: string; xLabel: string; yLabel: string }): string {
  const f: Frame = { ...FRAME, h: 220 };
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const a = xs[i]!, b = ys[i]!;
    if (a !== a || b !== b) continue;
    x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, b); y1 = Math.max(y1, b);
  }
  if (!Number.isFinite(x0)) return '';
  const xt = niceTicks(x0, x1, xTickCount(f)), yt = niceTicks(y0, y1, 5);
  const x = linear(Math.min(x0, xt[0] ?? x0), Math.max(x1, xt[xt.length - 1] ?? x1), f.left + 4, f.w - f.right - 4);
  const y = linear(Math.min(y0, yt[0] ?? y0), Math.max(y1, yt[yt.length - 1] ?? y1), f.h - f.bottom - 4, f.top + 4);
  let pts = '';
  for (let i = 0; i < xs.length; i++) {
    const a = xs[i]!, b = ys[i]!;
    if (a !== a || b !== b) continue;
    pts += `<circle cx="${f1(x(a))}" cy="${f1(y(b))}" r="2"/>`;
  }
  return open(f, opts.title) + yAxis(f, y, yt, opts.yLabel) + `<g fill="${COLORS.point}" fill-opacity="0.45">${pts}</g>` +
    xAxis(f, x, xt.map((t) => ({ at: t, label: tickLabel(t) })), opts.xLabel) + '</svg>';
}

/** Present (dark) to missing (light), linear in the missing share of a block. */
function shade(missing: number): string {
  const mix = (a: number, b: number) => Math.round(a + (b - a) * missing);
  return `rgb(${mix(59, 238)},${mix(74, 238)},${mix(107, 238)})`;
}

/**
 * The missing-value matrix (missingno's): one column per table column, row blocks from top to
 * bottom in file order, dark where values are present and light where they are missing.
 */
export function missingMatrix(columns: string[], blocks: { from: number; to: number; missing: number[] }[], rows: number): string {
  if (!columns.length || !blocks.length) return '';
  const colW = Math.max(14, Math.min(40, Math.floor(900 / columns.length)));
  const f: Frame = { w: 70 + columns.length * colW + 10, h: 300 + 110 + 8, left: 70, right: 10, top: 110, bottom: 8 };
  const plotH = f.h - f.top - f.bottom;
  const y = linear(0, rows, f.top, f.top + plotH);
  let cells = '';
  for (const b of blocks) {
    const yy = y(b.from), hh = Math.max(0.5, y(b.to) - y(b.from));
    columns.forEach((c, j) => {
      const share = b.missing[j]! / Math.max(1, b.to - b.from);
      cells += `<rect x="${f.left + j * colW}" y="${f1(yy)}" width="${colW - 1}" height="${f1(hh)}" fill="${shade(share)}">` +
        (share > 0 ? `<title>${esc(`${c}, rows ${int(b.from + 1)}–${int(b.to)}: ${pctFmt(share)} missing`)}</title>` : '') +
        '</rect>';
    });
  }
  const names = columns.map((c, j) =>
    `<text transform="translate(${f.left + j * colW + colW / 2 + 3} ${f.top - 6}) rotate(-60)"><title>${esc(c)}</title>${esc(cut(c, 16))}</text>`).join('');
  const yt = niceTicks(1, rows, 6).filter((t) => t >= 1);
  const axis = `<g class="axis y"><line x1="${f.left - 2}" y1="${f.top}" x2="${f.left - 2}" y2="${f.top + plotH}" stroke="#888"/>` +
    yt.map((t) => `<g class="tick"><line x1="${f.left - 6}" y1="${f1(y(t - 1))}" x2="${f.left - 2}" y2="${f1(y(t - 1))}" stroke="#888"/>` +
      `<text x="${f.left - 8}" y="${f1(y(t - 1) + 3)}" text-anchor="end">${esc(tickLabel(t))}</text></g>`).join('') +
    `<text class="title" transform="translate(12 ${f1(f.top + plotH / 2)}) rotate(-90)" text-anchor="middle" fill="#555">row (file order)</text></g>`;
  return open(f, 'missing-value matrix', 'chart matrix') + names + axis + cells + '</svg>';
}
