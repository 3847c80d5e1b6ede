// Small DOM helpers: elements, number formats, KPI cards, tables and empty states.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

/** An element: h('p', { class: 'x', onclick: fn }, 'text', child). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const nf = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const nf2 = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });
export const fmt = {
  int: (v: number | null | undefined) => (v === null || v === undefined ? '–' : nf.format(v)),
  num: (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : nf2.format(v)),
  money: (v: number | null | undefined) => (v === null || v === undefined ? '–' : `£${nf2.format(v)}`),
  pct: (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)}%`),
  ms: (v: number | null | undefined) => (v === null || v === undefined ? '–' : v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(2)} s`),
};

/** A KPI card: its label, value (with a data-kpi name the tests read) and a trend chart slot. */
export function kpi(name: string, label: string, value: string, note?: string): { card: HTMLElement; chart: HTMLElement } {
  const chart = h('div', { class: 'spark' });
  const card = h('section', { class: 'kpi', 'aria-label': label },
    h('h3', {}, label), h('p', { class: 'value', 'data-kpi': name }, value), note ? h('p', { class: 'note' }, note) : null, chart);
  return { card, chart };
}

/** The empty state: what is missing and the command that fills it. */
export function empty(hint: string): HTMLElement {
  // the API's hints quote commands in backticks: every other part of the split is one
  const parts = hint.split(/`([^`]+)`/);
  return h('div', { class: 'empty', role: 'status' }, ...parts.map((p, i) => (i % 2 ? h('code', {}, p) : p)));
}

export function table<T>(caption: string, cols: { label: string; value: (r: T) => Child; num?: boolean }[], rows: T[], attrs: Attrs = {}): HTMLElement {
  return h('div', { class: 'table-wrap' },
    h('table', attrs,
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...cols.map((c) => h('td', { class: c.num ? 'num' : null }, c.value(r))))))));
}

export function section(title: string, ...children: Child[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export function chartBox(label: string, cls = 'chart'): HTMLElement {
  return h('div', { class: cls, role: 'img', 'aria-label': label });
}
