// Segments: the customers in 2-D (PCA and t-SNE) and 3-D (PCA, with the GL extension, loaded
// here only) coloured by segment, the segment profiles side by side, and a customer search with
// the customer's segment, predicted spend and most similar customers.
import { ApiError, get } from '../api.ts';
import { draw, echarts, PALETTE, type Option } from '../charts.ts';
import { filterBar, salesQuery } from '../filters.ts';
import { setParams } from '../route.ts';
import { chartBox, empty, fmt, h, section, table } from '../ui.ts';

function webgl(): boolean {
  try { return !!document.createElement('canvas').getContext('webgl'); } catch { return false; }
}

export async function segmentsPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  const [bar, d] = await Promise.all([filterBar(params, ['country', 'segment']), get('/v1/dashboard/segments', salesQuery(params, ['country', 'segment']))]);
  root.append(bar);
  root.append(await customerSearch(params));
  if (d.hint) { root.append(empty(d.hint)); return; }
  const draws: Promise<unknown>[] = [];
  const p = d.points, names = new Map<number, string>(d.profiles.map((s: any) => [s.segment, s.name]));
  const segs = [...names.keys()];
  const series = (x: (number | null)[], y: (number | null)[]) => segs.map((s, i) => ({
    type: 'scatter', name: `${s}: ${names.get(s)}`, symbolSize: 5, itemStyle: { color: PALETTE[i % PALETTE.length] },
    data: p.segment.flatMap((seg: number, j: number) => (seg === s && x[j] !== null && y[j] !== null ? [[x[j], y[j], p.customer_id[j]]] : [])),
  }));
  const scatter = (x: any[], y: any[], title: string): Option => ({
    title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, type: 'scroll' }, grid: { left: 40, right: 10, top: 30, bottom: 50 },
    tooltip: { trigger: 'item', formatter: (q: any) => `customer ${q.value[2]}<br>${q.seriesName}` },
    xAxis: { type: 'value', scale: true }, yAxis: { type: 'value', scale: true }, series: series(x, y),
  });
  const pcaBox = chartBox('Customers on the first two principal components, coloured by segment');
  const tsneBox = chartBox('Customers in the t-SNE embedding, coloured by segment');
  root.append(section('Projections (2-D)', h('div', { class: 'two' }, pcaBox, tsneBox)));
  draws.push(draw(pcaBox, scatter(p.pca_x, p.pca_y, 'PCA')), draw(tsneBox, scatter(p.tsne_x, p.tsne_y, 't-SNE')));

  const box3d = chartBox('Customers on the first three principal components, coloured by segment', 'chart tall');
  const s3 = section('Projection (3-D PCA)');
  root.append(s3);
  if (webgl()) {
    s3.append(box3d);
    const [{ Scatter3DChart }, { Grid3DComponent }] = await Promise.all([import('echarts-gl/charts'), import('echarts-gl/components')]);
    echarts.use([Scatter3DChart, Grid3DComponent]);
    draws.push(draw(box3d, {
      // the legend above the box: below it, it covered the axis labels nearest the viewer
      tooltip: {}, legend: { top: 0, type: 'scroll' },
      xAxis3D: { type: 'value', name: 'PC1' }, yAxis3D: { type: 'value', name: 'PC2' }, zAxis3D: { type: 'value', name: 'PC3' },
      grid3D: { top: 30, bottom: 0, viewControl: { autoRotate: false, distance: 270 } },
      series: segs.map((s, i) => ({
        type: 'scatter3D', name: `${s}: ${names.get(s)}`, symbolSize: 4, itemStyle: { color: PALETTE[i % PALETTE.length] },
        data: p.segment.flatMap((seg: number, j: number) => (seg === s && p.pca3_x[j] !== null ? [[p.pca3_x[j], p.pca3_y[j], p.pca3_z[j]]] : [])),
      })),
    }));
  } else s3.append(h('p', { class: 'note' }, 'The 3-D view needs WebGL, which this browser does not offer; the 2-D projections above show the same customers.'));

  const profBox = chartBox('Segment profiles side by side: mean recency, frequency and monetary value, relative to the largest');
  const metrics = ['recency', 'frequency', 'monetary'] as const;
  const maxOf = Object.fromEntries(metrics.map((m) => [m, Math.max(1e-9, ...d.profiles.map((s: any) => s[m]))]));
  root.append(section('Segment profiles', profBox, table('Segment profiles', [
    { label: 'Segment', value: (s: any) => `${s.segment}: ${s.name}` }, { label: 'Customers', value: (s: any) => fmt.int(s.customers), num: true },
    { label: 'Recency (days)', value: (s: any) => fmt.num(s.recency), num: true }, { label: 'Frequency (invoices)', value: (s: any) => fmt.num(s.frequency), num: true },
    { label: 'Monetary', value: (s: any) => fmt.money(s.monetary), num: true }, { label: 'Revenue share', value: (s: any) => fmt.pct(s.revenue_share), num: true },
  ], d.profiles, { 'data-table': 'profiles' })));
  draws.push(draw(profBox, {
    tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 50, right: 10, top: 36, bottom: 30 },
    xAxis: { type: 'category', data: metrics as unknown as string[] }, yAxis: { type: 'value', max: 1, name: 'share of max' },
    series: d.profiles.map((s: any, i: number) => ({ type: 'bar', name: `${s.segment}: ${s.name}`, itemStyle: { color: PALETTE[i % PALETTE.length] }, data: metrics.map((m) => s[m] / maxOf[m]!) })),
  }));
  await Promise.all(draws);
}

/** Search by id prefix; the chosen customer (in the URL as ?customer=) with segment, spend and neighbours. */
async function customerSearch(params: Record<string, string>): Promise<HTMLElement> {
  const results = h('ul', { class: 'results', 'aria-live': 'polite', id: 'customer-results' });
  const input = h('input', { id: 'customer-q', type: 'search', autocomplete: 'off', placeholder: 'e.g. 12347', value: params.customer ?? '' });
  const search = async () => {
    const r = await get('/v1/dashboard/customers', { q: input.value.trim(), limit: '10' });
    results.replaceChildren(...r.customers.map((c: any) => h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => setParams({ customer: c.customer_id }) },
      `${c.customer_id}`), ` ${c.country ?? ''} · ${c.segment_name ?? 'no segment'} · ${fmt.money(c.monetary)}`)));
    if (!r.customers.length) results.append(h('li', {}, r.hint ?? 'no customer id starts with that'));
  };
  const form = h('form', { class: 'search', role: 'search', 'aria-label': 'Customer search', onsubmit: (e: Event) => { e.preventDefault(); void search(); } },
    h('label', { for: 'customer-q' }, 'Customer id'), input, h('button', { type: 'submit' }, 'Search'));
  const out = section('Customer search', form, results);
  if (params.customer) {
    try {
      const c = await get(`/v1/dashboard/customers/${encodeURIComponent(params.customer)}`);
      out.append(h('div', { class: 'customer', 'data-customer': c.customer_id },
        h('h3', {}, `Customer ${c.customer_id}`),
        h('dl', {},
          h('dt', {}, 'Country'), h('dd', {}, c.country ?? '–'),
          h('dt', {}, 'Revenue'), h('dd', {}, `${fmt.money(c.sales.revenue)} over ${fmt.int(c.sales.invoices)} invoices (${c.sales.first} to ${c.sales.last})`),
          h('dt', {}, 'Segment'), h('dd', { 'data-field': 'segment' }, c.segment ? `${c.segment.segment}: ${c.segment.name}` : '–'),
          h('dt', {}, 'Predicted spend'), h('dd', { 'data-field': 'spend' }, c.spend ? `${fmt.money(c.spend.spend)} over the next ${c.spend.horizon_days} days (${c.spend.model} v${c.spend.version})` : '–')),
        c.similar.length ? table('Most similar customers', [
          { label: 'Customer', value: (s: any) => h('button', { type: 'button', class: 'link', onclick: () => setParams({ customer: s.customer_id }) }, s.customer_id) },
          { label: 'Segment', value: (s: any) => `${s.segment}: ${s.name}` }, { label: 'Distance', value: (s: any) => fmt.num(s.distance), num: true },
        ], c.similar, { 'data-table': 'similar' }) : null,
        ...c.hints.map((t: string) => empty(t))));
    } catch (e) {
      out.append(h('p', { class: 'error', role: 'alert' }, e instanceof ApiError && e.status === 404 ? e.message : `Could not load the customer: ${(e as Error).message}`));
    }
  }
  return out;
}
