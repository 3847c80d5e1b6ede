// Overview: the sales KPIs (revenue, average ticket, customers, churn) for the filters, and the
// music KPIs (plays, hours per week, skip rate, acceptance) for the period, each with its trend.
import { get } from '../api.ts';
import { draw, sparkOption } from '../charts.ts';
import { filterBar, salesQuery } from '../filters.ts';
import { empty, fmt, h, kpi, section } from '../ui.ts';

export async function overviewPage(root: HTMLElement, params: Record<string, string>): Promise<void> {
  const [bar, d] = await Promise.all([filterBar(params, ['period', 'category', 'country', 'segment']), get('/v1/dashboard/overview', salesQuery(params))]);
  root.append(bar);
  const draws: Promise<unknown>[] = [];
  const sales = section('Sales');
  const music = section('Music', h('p', { class: 'note' }, 'For the period; category, country and segment are sales filters.'));
  // in the document before drawing: a chart takes its size from its element
  root.append(sales, music);
  if (d.retail) {
    const r = d.retail, months = r.trend.map((t: any) => t.month);
    const grid = h('div', { class: 'kpis' });
    const cards = [
      kpi('revenue', 'Revenue', fmt.money(r.revenue)),
      kpi('avg_ticket', 'Average ticket', fmt.money(r.avg_ticket), `${fmt.int(r.invoices)} invoices`),
      kpi('customers', 'Customers', fmt.int(r.customers)),
      kpi('churn_rate', 'Churn rate', fmt.pct(r.churn_rate), r.churn_cutoff ? `no purchase in the 90 days after ${r.churn_cutoff}` : 'no cutoff with 90 days of data after it in the period'),
    ];
    grid.append(...cards.map((c) => c.card));
    sales.append(grid);
    draws.push(
      draw(cards[0]!.chart, sparkOption(months, r.trend.map((t: any) => t.revenue), 'Revenue by month', fmt.money)),
      draw(cards[1]!.chart, sparkOption(months, r.trend.map((t: any) => t.avg_ticket), 'Average ticket by month', fmt.money)),
      draw(cards[2]!.chart, sparkOption(months, r.trend.map((t: any) => t.customers), 'Customers by month', fmt.int)),
      draw(cards[3]!.chart, sparkOption(r.churn_trend.map((t: any) => t.cutoff), r.churn_trend.map((t: any) => t.churn_rate), 'Churn rate by cutoff', fmt.pct)),
    );
  } else sales.append(empty(d.retail_hint));
  if (d.music) {
    const m = d.music, weeks = m.trend.map((t: any) => t.week);
    const grid = h('div', { class: 'kpis' });
    const cards = [
      kpi('plays', 'Plays', fmt.int(m.plays), `${fmt.int(m.listeners)} listeners`),
      kpi('hours_per_week', 'Hours listened per week', fmt.num(m.hours_per_week)),
      kpi('skip_rate', 'Skip rate', fmt.pct(m.skip_rate)),
      kpi('acceptance_rate', 'Recommendation acceptance', fmt.pct(m.acceptance_rate), m.shown ? `of ${fmt.int(m.shown)} tracks shown` : 'no recommendations shown in the period'),
    ];
    grid.append(...cards.map((c) => c.card));
    music.append(grid);
    draws.push(
      draw(cards[0]!.chart, sparkOption(weeks, m.trend.map((t: any) => t.plays), 'Plays by week', fmt.int)),
      draw(cards[1]!.chart, sparkOption(weeks, m.trend.map((t: any) => t.hours), 'Hours by week', fmt.num)),
      draw(cards[2]!.chart, sparkOption(weeks, m.trend.map((t: any) => t.skip_rate), 'Skip rate by week', fmt.pct)),
      draw(cards[3]!.chart, sparkOption(weeks, m.trend.map((t: any) => t.acceptance_rate), 'Acceptance by week', fmt.pct)),
    );
  } else music.append(empty(d.music_hint));
  await Promise.all(draws);
}
