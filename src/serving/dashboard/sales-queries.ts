// The sales answers of the overview and the sales page, for a filter, over the aggregates of
// sales-tables.ts (a few thousand rows each, in the dashboard session's memory): KPIs with their
// monthly trend and churn, revenue by month, country and category, top products, outlier
// invoices, and the forecast against actuals of the filtered sales.
import { z } from 'zod';
import type { DashboardData } from './data.ts';
import { cellWhere, monthConds, type SalesFilters, type Where } from './filters.ts';
import { CHURN_BASE, CUSTOMER_MONTHS, INVOICES, PRODUCT_SALES, PRODUCTS, SALES_CUBE, cellTable } from './sales-tables.ts';

const FORECAST = 'curated.commerce_forecast';
const CUBE = SALES_CUBE.table;
const num = z.number().nullable();

export const RetailKpis = z.object({
  revenue: z.number(), invoices: z.number().int(), customers: z.number().int(), avg_ticket: num,
  churn_rate: num.describe('share of active customers with no purchase in the 90 days after the last cutoff of the period'),
  churn_cutoff: z.string().nullable(),
  trend: z.array(z.object({ month: z.string(), revenue: z.number(), invoices: z.number().int(), customers: z.number().int(), avg_ticket: num })),
  churn_trend: z.array(z.object({ cutoff: z.string(), active: z.number().int(), churned: z.number().int(), churn_rate: num })),
});
export type RetailKpis = z.infer<typeof RetailKpis>;

export const ForecastRow = z.object({ period: z.string(), model: z.string(), kind: z.string(), actual: num, forecast: z.number(), is_best: z.boolean() });
export type ForecastRow = z.infer<typeof ForecastRow>;
export const SalesParts = {
  monthly: z.array(z.object({ month: z.string(), revenue: z.number(), invoices: z.number().int() })),
  forecast: z.array(ForecastRow),
  forecast_method: z.string().describe('how the forecast of the filtered sales is made from the retail pipeline\'s forecast of all sales'),
  countries: z.array(z.object({ country: z.string(), revenue: z.number(), customers: z.number().int(), invoices: z.number().int() })),
  top_products: z.array(z.object({ stock_code: z.string(), description: z.string().nullable(), category: z.string(), revenue: z.number(), units: z.number() })),
  categories: z.array(z.object({ category: z.string(), revenue: z.number(), invoices: z.number().int() })),
  outliers: z.object({
    rule: z.string(), threshold: num, count: z.number().int(), invoices: z.number().int(),
    top: z.array(z.object({ invoice_no: z.string(), customer_id: z.string().nullable(), country: z.string(), day: z.string(), revenue: z.number(), z: num })),
  }),
};
type Parts = { [K in keyof typeof SalesParts]: z.infer<(typeof SalesParts)[K]> };

/** Sales KPIs of a filter, with their monthly trend and the churn at each month start of the period. */
export async function retailKpis(data: DashboardData, f: SalesFilters): Promise<RetailKpis> {
  const w = cellWhere(f);
  // the months and the whole period in one query (the period's row has no month); customers are
  // distinct over the period, so they come from the customer rows, not from sums of the months
  const rows = await data.query<RetailKpis['trend'][number] & { month: string | null }>(
    `WITH r AS (SELECT month, sum(revenue) AS revenue, sum(invoices) AS invoices FROM ${CUBE} ${w.sql} GROUP BY GROUPING SETS ((month), ())),
     c AS (SELECT month, count(DISTINCT customer_id) AS customers FROM ${cellTable(CUSTOMER_MONTHS, f)} ${w.sql} GROUP BY GROUPING SETS ((month), ()))
     SELECT strftime(r.month, '%Y-%m') AS month, coalesce(r.revenue, 0) AS revenue, CAST(coalesce(r.invoices, 0) AS BIGINT) AS invoices,
            CAST(coalesce(c.customers, 0) AS BIGINT) AS customers, r.revenue / nullif(r.invoices, 0) AS avg_ticket
     FROM r LEFT JOIN c ON r.month IS NOT DISTINCT FROM c.month ORDER BY r.month NULLS FIRST`, w.params);
  const tot = rows[0]?.month === null ? rows[0] : undefined;
  const trend = rows.filter((r) => r.month !== null);
  // churn as curated.commerce_churn defines it (src/warehouse/sql/250_commerce_churn.sql), over the
  // filtered customers' purchases (all of them, not the period's): at the period's cutoffs
  const dims = cellWhere(f, { period: false });
  const cutConds: string[] = [], cutParams: Record<string, string> = {};
  monthConds(f, 'cutoff_day', cutConds, cutParams);
  const churn = cellTable(CHURN_BASE, f);
  const churn_trend = await data.query<RetailKpis['churn_trend'][number]>(
    `WITH cut AS (SELECT DISTINCT cutoff FROM ${CHURN_BASE.table}_all ${cutConds.length ? `WHERE ${cutConds.join(' AND ')}` : ''}),
     per AS (SELECT cutoff, customer_id, bool_or(active) AS active, bool_or(returned) AS returned FROM ${churn} ${dims.sql} GROUP BY ALL)
     SELECT strftime(cut.cutoff, '%Y-%m-%d') AS cutoff, count(*) FILTER (WHERE active) AS active,
            count(*) FILTER (WHERE active AND NOT returned) AS churned,
            count(*) FILTER (WHERE active AND NOT returned) / nullif(count(*) FILTER (WHERE active), 0) AS churn_rate
     FROM cut LEFT JOIN per USING (cutoff) WHERE EXISTS (SELECT 1 FROM per) GROUP BY cut.cutoff ORDER BY cut.cutoff`, { ...dims.params, ...cutParams });
  const last = churn_trend[churn_trend.length - 1];
  return {
    revenue: tot?.revenue ?? 0, invoices: tot?.invoices ?? 0, customers: tot?.customers ?? 0, avg_ticket: tot?.avg_ticket ?? null,
    churn_rate: last?.churn_rate ?? null, churn_cutoff: last?.cutoff ?? null, trend, churn_trend,
  };
}

/** The sales page's charts for a filter (the forecast apart: salesForecast). */
export async function salesBreakdowns(data: DashboardData, f: SalesFilters): Promise<Omit<Parts, 'forecast' | 'forecast_method'>> {
  const w = cellWhere(f);
  const monthly = await data.query<Parts['monthly'][number]>(
    `SELECT strftime(month, '%Y-%m') AS month, sum(revenue) AS revenue, CAST(sum(invoices) AS BIGINT) AS invoices
     FROM ${CUBE} ${w.sql} GROUP BY month ORDER BY month`, w.params);
  const countries = await data.query<Parts['countries'][number]>(
    `SELECT r.country, r.revenue, CAST(coalesce(c.customers, 0) AS BIGINT) AS customers, CAST(r.invoices AS BIGINT) AS invoices
     FROM (SELECT country, sum(revenue) AS revenue, sum(invoices) AS invoices FROM ${CUBE} ${w.sql} GROUP BY 1) r
     LEFT JOIN (SELECT country, count(DISTINCT customer_id) AS customers FROM ${cellTable(CUSTOMER_MONTHS, f)} ${w.sql} GROUP BY 1) c USING (country)
     ORDER BY r.revenue DESC, r.country`, w.params);
  const each = cellWhere(f, { categories: 'each' });
  const categories = await data.query<Parts['categories'][number]>(
    `SELECT category, sum(revenue) AS revenue, CAST(sum(invoices) AS BIGINT) AS invoices FROM ${CUBE} ${each.sql} GROUP BY 1 ORDER BY 2 DESC, 1`, each.params);
  const top_products = await data.query<Parts['top_products'][number]>(
    `WITH top AS (SELECT stock_code, sum(revenue) AS revenue, sum(units) AS units
                  FROM ${PRODUCT_SALES.table} ${each.sql} GROUP BY 1 ORDER BY revenue DESC, stock_code LIMIT 10)
     SELECT top.stock_code, p.description, p.category, top.revenue, top.units
     FROM top JOIN ${PRODUCTS.table} p USING (stock_code) ORDER BY top.revenue DESC, top.stock_code`, each.params);
  return { monthly, countries, top_products, categories, outliers: await invoiceOutliers(data, cellTable(INVOICES, f), w) };
}

/** Invoices far above the others (Tukey's fence: above Q3 + 3 IQR), the largest first, with their z-scores. */
async function invoiceOutliers(data: DashboardData, invoices: string, w: Where): Promise<Parts['outliers']> {
  const rows = await data.query<Parts['outliers']['top'][number] & { threshold: number | null; n: number; invoices: number }>(
    `WITH inv AS (SELECT invoice_no, customer_id, country, day, revenue FROM ${invoices} ${w.sql}),
     q AS (SELECT quantile_cont(revenue, 0.25) AS q1, quantile_cont(revenue, 0.75) AS q3, avg(revenue) AS m, stddev_pop(revenue) AS sd,
                  count(*) AS invoices FROM inv),
     o AS (SELECT inv.*, (revenue - m) / nullif(sd, 0) AS z FROM inv, q WHERE revenue > q3 + 3 * (q3 - q1))
     SELECT o.invoice_no, o.customer_id, o.country, strftime(o.day, '%Y-%m-%d') AS day, o.revenue, o.z,
            q.q3 + 3 * (q.q3 - q.q1) AS threshold, count(o.invoice_no) OVER () AS n, q.invoices
     FROM q LEFT JOIN o ON true ORDER BY o.revenue DESC NULLS LAST, o.invoice_no LIMIT 15`, w.params);
  const stats = rows[0];
  const top = rows.filter((r) => r.invoice_no !== null).map(({ threshold: _t, n: _n, invoices: _i, ...r }) => r);
  return { rule: 'invoice revenue above Q3 + 3 IQR', threshold: stats?.threshold ?? null, count: stats?.n ?? 0, invoices: stats?.invoices ?? 0, top };
}

const METHOD = {
  all: 'the retail pipeline\'s forecast of all sales (curated.commerce_forecast): one rolling-origin backtest fold per month, and the next month',
  topDown: 'top-down: the retail pipeline\'s forecast of all sales times the filtered sales\' share of all revenue in the months before '
    + 'each forecast month (proportions of the historical averages); actuals are the filtered sales\'',
};

/**
 * The forecast against actuals of the filtered sales. The retail pipeline forecasts the monthly
 * total; a filtered view (a category, country or segment) gets the total's forecast for each
 * month times the filter's share of revenue over the months before it, so each backtest fold
 * still sees only what was known at its origin, and its actuals are the filtered revenue.
 */
export async function salesForecast(data: DashboardData, f: SalesFilters): Promise<Pick<Parts, 'forecast' | 'forecast_method'>> {
  const conds = [`granularity = 'month'`], params = {};
  monthConds(f, 'period', conds, params);
  const rows = await data.query<ForecastRow>(
    `SELECT strftime(period, '%Y-%m') AS period, model, kind, actual, forecast, is_best FROM ${FORECAST}
     WHERE ${conds.join(' AND ')} ORDER BY period, model`, params);
  if (f.category === undefined && f.country === undefined && f.segment === undefined) return { forecast: rows, forecast_method: METHOD.all };
  const dims = cellWhere(f, { period: false });
  const months = await data.query<{ month: string; slice: number | null; total: number | null }>(
    `SELECT strftime(month, '%Y-%m') AS month, sum(revenue) FILTER (${dims.sql}) AS slice, sum(revenue) FILTER (WHERE all_categories) AS total
     FROM ${CUBE} GROUP BY month ORDER BY month`, dims.params);
  return { forecast: topDown(rows, months), forecast_method: METHOD.topDown };
}

/** Scales each forecast of the total by the slice's share of revenue in the months before its period (none when the slice never sold). */
export function topDown(rows: ForecastRow[], months: { month: string; slice: number | null; total: number | null }[]): ForecastRow[] {
  const slice = new Map(months.map((m) => [m.month, m.slice ?? 0]));
  if (![...slice.values()].some((v) => v !== 0)) return [];
  // running sums up to (not including) each month
  const before = new Map<string, { slice: number; total: number }>();
  let s = 0, t = 0;
  for (const m of months) { before.set(m.month, { slice: s, total: t }); s += m.slice ?? 0; t += m.total ?? 0; }
  const shareBefore = (period: string) => {
    const b = before.get(period) ?? (period > (months[months.length - 1]?.month ?? '') ? { slice: s, total: t } : { slice: 0, total: 0 });
    return b.total !== 0 ? b.slice / b.total : 0;
  };
  return rows.map((r) => ({ ...r, actual: r.actual === null ? null : slice.get(r.period) ?? 0, forecast: r.forecast * shareBefore(r.period) }));
}
