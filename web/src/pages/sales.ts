// Sales: revenue by month with the forecast against actuals (every backtest fold), the sales
// map by country, top products and categories, and the outlier invoices.
import { get } from '../api.ts';
import { draw, PALETTE } from '../charts.ts';
import { filterBar, salesQuery } from '../filters.ts';
import { chartBox, empty, fmt, h, section, table } from '../ui.ts';

export async function salesPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  const [bar, d] = await Promise.all([filterBar(params, ['period', 'category', 'country', 'segment']), get('/v1/dashboard/sales', salesQuery(params))]);
  root.append(bar);
  if (d.hint) { root.append(empty(d.hint)); return; }
  const draws: Promise<unknown>[] = [];

  // forecast against actuals, of the filtered sales: the revenue by month, and the best model's
  // forecast at each backtest fold (one origin per month) and for the next month
  const best = d.forecast.filter((f: any) => f.is_best);
  const periods = [...new Set([...d.monthly.map((m: any) => m.month), ...best.map((f: any) => f.period)])].sort();
  const byMonth = new Map(d.monthly.map((m: any) => [m.month, m.revenue]));
  const fc = new Map(best.map((f: any) => [f.period, f]));
  const bestName = best[0]?.model ?? '';
  const fcBox = chartBox('Revenue by month with the forecast against actuals', 'chart wide');
  const filtered = Object.keys(salesQuery(params, ['category', 'country', 'segment'])).some((k) => params[k]);
  const fcNote = `Forecast: ${bestName} (the best of the backtest on all sales), one fold per month${filtered ? ', of the filtered sales' : ''}. Method: ${d.forecast_method}.`;
  root.append(section('Revenue by month and forecast', d.forecast_hint ? empty(d.forecast_hint) : best.length ? h('p', { class: 'note' }, fcNote) : empty('no sales for this filter before the forecast months'), fcBox,
    best.length ? table(`Forecast against actuals (${bestName})`, [
      { label: 'Month', value: (r: any) => r.period }, { label: 'Fold', value: (r: any) => (r.kind === 'future' ? 'next month' : 'backtest') },
      { label: 'Actual', value: (r: any) => fmt.money(r.actual), num: true }, { label: 'Forecast', value: (r: any) => fmt.money(r.forecast), num: true },
      { label: 'Error', value: (r: any) => (r.actual === null ? '–' : fmt.pct((r.forecast - r.actual) / r.actual)), num: true },
    ], best, { 'data-table': 'forecast' }) : null));
  draws.push(draw(fcBox, {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt.money(v) },
    legend: { top: 0 },
    grid: { left: 70, right: 20, top: 36, bottom: 30 },
    xAxis: { type: 'category', data: periods },
    yAxis: { type: 'value', name: 'revenue' },
    series: [
      { type: 'bar', name: filtered ? 'revenue (filtered)' : 'revenue', data: periods.map((p) => byMonth.get(p) ?? null), itemStyle: { color: '#93b4dc' } },
      { type: 'line', name: 'actual (backtest folds)', data: periods.map((p) => (fc.get(p) as any)?.actual ?? null), connectNulls: false, symbol: 'circle', lineStyle: { color: PALETTE[0] }, itemStyle: { color: PALETTE[0] } },
      { type: 'line', name: `forecast (${bestName})`, data: periods.map((p) => (fc.get(p) as any)?.forecast ?? null), lineStyle: { type: 'dashed', color: PALETTE[1] }, itemStyle: { color: PALETTE[1] }, symbol: 'diamond' },
    ],
  }));

  // the map: the world atlas is loaded with this page only
  const mapBox = chartBox('Revenue by country on a world map', 'chart map');
  const { registerWorld, mapName } = await import('../world.ts');
  registerWorld();
  const mapped = d.countries.filter((c: any) => mapName(c.country));
  const max = Math.max(1, ...mapped.map((c: any) => c.revenue));
  root.append(section('Sales by country', mapBox, table('Revenue by country', [
    { label: 'Country', value: (c: any) => c.country }, { label: 'Revenue', value: (c: any) => fmt.money(c.revenue), num: true },
    { label: 'Customers', value: (c: any) => fmt.int(c.customers), num: true }, { label: 'Invoices', value: (c: any) => fmt.int(c.invoices), num: true },
  ], d.countries.slice(0, 12), { 'data-table': 'countries' })));
  draws.push(draw(mapBox, {
    tooltip: { trigger: 'item', formatter: (p: any) => `${p.name}<br>${p.value === undefined || Number.isNaN(p.value) ? 'no sales' : fmt.money(p.value)}` },
    visualMap: { min: 0, max, left: 10, bottom: 10, text: ['high', 'low'], calculable: false, inRange: { color: ['#dbeafe', '#1e3a8a'] } },
    series: [{ type: 'map', map: 'world', roam: true, name: 'revenue', emphasis: { label: { show: false } }, data: mapped.map((c: any) => ({ name: mapName(c.country), value: c.revenue })) }],
  }));

  const prodBox = chartBox('Top products by revenue'), catBox = chartBox('Revenue by category');
  root.append(h('div', { class: 'two' }, section('Top products', prodBox), section('Categories', catBox)));
  const prods = [...d.top_products].reverse();
  draws.push(draw(prodBox, {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt.money(v) }, grid: { left: 220, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'value' }, yAxis: { type: 'category', data: prods.map((p: any) => `${(p.description ?? p.stock_code).slice(0, 32)}`) },
    series: [{ type: 'bar', name: 'revenue', data: prods.map((p: any) => p.revenue) }],
  }));
  const cats = [...d.categories].reverse();
  draws.push(draw(catBox, {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt.money(v) }, grid: { left: 110, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'value' }, yAxis: { type: 'category', data: cats.map((c: any) => c.category) },
    series: [{ type: 'bar', name: 'revenue', data: cats.map((c: any) => c.revenue), itemStyle: { color: PALETTE[2] } }],
  }));

  const o = d.outliers;
  root.append(section('Outliers', h('p', { class: 'note' }, `${fmt.int(o.count)} of ${fmt.int(o.invoices)} invoices have a revenue above ${fmt.money(o.threshold)} (${o.rule}).`),
    table('Largest outlier invoices', [
      { label: 'Invoice', value: (r: any) => r.invoice_no }, { label: 'Day', value: (r: any) => r.day }, { label: 'Customer', value: (r: any) => r.customer_id ?? '–' },
      { label: 'Country', value: (r: any) => r.country }, { label: 'Revenue', value: (r: any) => fmt.money(r.revenue), num: true }, { label: 'z-score', value: (r: any) => fmt.num(r.z), num: true },
    ], o.top)));
  await Promise.all(draws);
}
