// The filter bar of the sales pages: period, category, country and segment, read from and
// written to the URL (route.ts), with the values the data holds (GET /v1/dashboard/filters).
import { get } from './api.ts';
import { setParams } from './route.ts';
import { h } from './ui.ts';

export interface FilterValues { months: string[]; music_months: string[]; music_countries: string[]; categories: string[]; countries: string[]; segments: { segment: number; name: string }[]; hint: string | null }

let cache: Promise<FilterValues> | undefined;
export function filterValues(): Promise<FilterValues> {
  cache ??= get<FilterValues>('/v1/dashboard/filters').catch((e) => { cache = undefined; throw e; });
  return cache;
}

/** The filters a sales endpoint takes, from the URL's parameters. */
export function salesQuery(params: Record<string, string>, keys = ['from', 'to', 'category', 'country', 'segment']): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((k) => [k, params[k]]));
}

function select(name: string, label: string, options: { value: string; label: string }[], current: string | undefined): HTMLElement {
  const id = `f-${name}`;
  const sel = h('select', { id, name, onchange: (e: Event) => setParams({ [name]: (e.target as HTMLSelectElement).value || undefined }) },
    h('option', { value: '' }, 'All'),
    ...options.map((o) => h('option', { value: o.value, selected: o.value === current }, o.label)));
  return h('div', { class: 'field' }, h('label', { for: id }, label), sel);
}

export async function filterBar(params: Record<string, string>, keys: ('period' | 'category' | 'country' | 'segment')[]): Promise<HTMLElement> {
  const v = await filterValues();
  const months = v.months.map((m) => ({ value: m, label: m }));
  const fields: HTMLElement[] = [];
  if (keys.includes('period')) fields.push(select('from', 'From', months, params.from), select('to', 'To', months, params.to));
  if (keys.includes('category')) fields.push(select('category', 'Category', v.categories.map((c) => ({ value: c, label: c })), params.category));
  if (keys.includes('country')) fields.push(select('country', 'Country', v.countries.map((c) => ({ value: c, label: c })), params.country));
  if (keys.includes('segment')) fields.push(select('segment', 'Segment', v.segments.map((s) => ({ value: String(s.segment), label: `${s.segment}: ${s.name}` })), params.segment));
  const any = Object.keys(params).some((k) => ['from', 'to', 'category', 'country', 'segment'].includes(k));
  return h('form', { class: 'filters', role: 'search', 'aria-label': 'Filters', onsubmit: (e: Event) => e.preventDefault() }, ...fields,
    any ? h('button', { type: 'button', class: 'link', onclick: () => setParams({ from: undefined, to: undefined, category: undefined, country: undefined, segment: undefined }) }, 'Clear filters') : null);
}
