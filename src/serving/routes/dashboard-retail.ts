// The dashboard's sales endpoints, over the tables the retail pipeline writes (curated.commerce_*):
// GET /v1/dashboard/filters     the values each filter can take
// GET /v1/dashboard/overview    KPIs with their trends (sales and music) for a filter
// GET /v1/dashboard/sales       revenue by month, forecast against actuals, map, top products, outliers
// GET /v1/dashboard/segments    PCA/t-SNE coordinates by segment and the segment profiles
// GET /v1/dashboard/customers   customer search; /customers/{id}: segment, spend, similar customers
// Every filter value is a bound parameter (dashboard/filters.ts); answers are cached per snapshot.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { PRODUCT_LINES, PRODUCTS, SALES_ROLLUP, type DashboardData } from '../dashboard/data.ts';
import { HINTS, SalesFilters, SearchQuery, filterKey, likePrefix, periodConds, salesWhere } from '../dashboard/filters.ts';
import { musicOverview, MusicOverview } from '../dashboard/music-queries.ts';
import { SEGMENT_MODEL, SPEND_MODEL } from '../servables.ts';
import { ErrorResponse, notFound, plainSerializer } from './common.ts';

const LINES = 'curated.commerce_lines';
/** one row per invoice, customer, country and category: the KPIs' and charts' scans */
const SALES = SALES_ROLLUP.table;
const SEGMENTS = 'curated.commerce_segments';
const FORECAST = 'curated.commerce_forecast';
const num = z.number().nullable();

const RetailKpis = z.object({
  revenue: z.number(), invoices: z.number().int(), customers: z.number().int(), avg_ticket: num,
  churn_rate: num.describe('share of active customers with no purchase in the 90 days after the last cutoff of the period'),
  churn_cutoff: z.string().nullable(),
  trend: z.array(z.object({ month: z.string(), revenue: z.number(), invoices: z.number().int(), customers: z.number().int(), avg_ticket: num })),
  churn_trend: z.array(z.object({ cutoff: z.string(), active: z.number().int(), churned: z.number().int(), churn_rate: num })),
});
const Overview = z.object({
  filters: SalesFilters,
  retail: RetailKpis.nullable(), retail_hint: z.string().nullable().describe('what to run when there is no sales data'),
  music: MusicOverview.nullable(), music_hint: z.string().nullable(),
});
const Filters = z.object({
  months: z.array(z.string()).describe('months with sales'), music_months: z.array(z.string()).describe('months with plays'), categories: z.array(z.string()), countries: z.array(z.string()),
  segments: z.array(z.object({ segment: z.number().int(), name: z.string() })),
  hint: z.string().nullable(),
});
const Sales = z.object({
  filters: SalesFilters, hint: z.string().nullable(),
  monthly: z.array(z.object({ month: z.string(), revenue: z.number(), invoices: z.number().int() })),
  forecast: z.array(z.object({ period: z.string(), model: z.string(), kind: z.string(), actual: num, forecast: z.number(), is_best: z.boolean() })),
  forecast_hint: z.string().nullable(),
  countries: z.array(z.object({ country: z.string(), revenue: z.number(), customers: z.number().int(), invoices: z.number().int() })),
  top_products: z.array(z.object({ stock_code: z.string(), description: z.string().nullable(), category: z.string(), revenue: z.number(), units: z.number() })),
  categories: z.array(z.object({ category: z.string(), revenue: z.number(), invoices: z.number().int() })),
  outliers: z.object({
    rule: z.string(), threshold: num, count: z.number().int(), invoices: z.number().int(),
    top: z.array(z.object({ invoice_no: z.string(), customer_id: z.string().nullable(), country: z.string(), day: z.string(), revenue: z.number(), z: num })),
  }),
});
const SegmentFilters = SalesFilters.pick({ country: true, segment: true });
const Segments = z.object({
  filters: SegmentFilters, hint: z.string().nullable(),
  points: z.object({
    customer_id: z.array(z.string()), segment: z.array(z.number().int()),
    pca_x: z.array(num), pca_y: z.array(num), pca3_x: z.array(num), pca3_y: z.array(num), pca3_z: z.array(num), tsne_x: z.array(num), tsne_y: z.array(num),
  }).describe('columns, one entry per customer (at most 20,000)'),
  profiles: z.array(z.object({
    segment: z.number().int(), name: z.string(), customers: z.number().int(), recency: z.number(), frequency: z.number(), monetary: z.number(), revenue_share: z.number(),
  })),
});
const CustomerRow = z.object({ customer_id: z.string(), country: z.string().nullable(), segment: z.number().int().nullable(), segment_name: z.string().nullable(), monetary: num });
const Customer = z.object({
  customer_id: z.string(), country: z.string().nullable(),
  sales: z.object({ revenue: z.number(), invoices: z.number().int(), first: z.string().nullable(), last: z.string().nullable() }),
  segment: z.object({ segment: z.number().int(), name: z.string(), recency: num, frequency: num, monetary: num }).nullable(),
  spend: z.object({ model: z.string(), version: z.number().int(), horizon_days: z.number().int(), spend: z.number() }).nullable(),
  similar: z.array(z.object({ customer_id: z.string(), distance: z.number(), segment: z.number().int(), name: z.string() })),
  hints: z.array(z.string()),
});

const MAX_POINTS = 20_000;

export const dashboardRetailRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; data: DashboardData }> = async (app, { ctx, data }) => {
  const tags = ['dashboard'];

  app.get('/v1/dashboard/filters', {
    schema: { summary: 'Values of the dashboard filters', tags, response: { 200: Filters } },
  }, async () => data.cached('filters', async () => {
    const hasLines = await data.has(LINES);
    const months = hasLines ? await data.query<{ m: string }>(`SELECT DISTINCT strftime(date_trunc('month', day), '%Y-%m') AS m FROM ${SALES} ORDER BY 1`) : [];
    const cats = hasLines ? await data.query<{ c: string }>(`SELECT DISTINCT category AS c FROM ${SALES} WHERE category IS NOT NULL ORDER BY 1`) : [];
    const countries = hasLines ? await data.query<{ c: string }>(`SELECT DISTINCT country AS c FROM ${SALES} WHERE country IS NOT NULL ORDER BY 1`) : [];
    const segments = await data.has(SEGMENTS) ? await data.query<{ segment: number; name: string }>(`SELECT segment, any_value(segment_name) AS name FROM ${SEGMENTS} GROUP BY 1 ORDER BY 1`) : [];
    const musicMonths = await data.has('curated.plays') ? await data.query<{ m: string }>(`SELECT DISTINCT strftime(date_trunc('month', day), '%Y-%m') AS m FROM curated.plays ORDER BY 1`) : [];
    return { months: months.map((r) => r.m), music_months: musicMonths.map((r) => r.m), categories: cats.map((r) => r.c), countries: countries.map((r) => r.c), segments, hint: hasLines ? null : HINTS.retail };
  }));

  app.get('/v1/dashboard/overview', {
    serializerCompiler: plainSerializer,
    schema: {
      summary: 'Overview KPIs and their trends', tags,
      description: 'Revenue, average ticket, customers and churn rate (sales, for the filter), plays, hours listened per week, skip rate and recommendation acceptance rate (music, for the period), each with its trend.',
      querystring: SalesFilters, response: { 200: Overview, 400: ErrorResponse },
    },
  }, async (req) => {
    const f = req.query;
    return data.cached(`overview${filterKey(f)}`, async () => {
      const retail = await data.has(LINES) && (f.segment === undefined || await data.has(SEGMENTS)) ? await retailKpis(data, f) : null;
      // the listeners' countries are ISO codes, the sales' names: the music KPIs follow the period only
      const music = await musicOverview(data, { from: f.from, to: f.to });
      return { filters: f, retail, retail_hint: retail ? null : HINTS.retail, music, music_hint: music ? null : HINTS.music };
    });
  });

  app.get('/v1/dashboard/sales', {
    serializerCompiler: plainSerializer,
    schema: {
      summary: 'Sales: monthly revenue and forecast, map, top products, outliers', tags,
      description: 'Forecasts are of all sales (the retail pipeline backtests the monthly total): each backtest row is one fold (origin), `kind` future is the next month.',
      querystring: SalesFilters, response: { 200: Sales, 400: ErrorResponse },
    },
  }, async (req) => {
    const f = req.query;
    return data.cached(`sales${filterKey(f)}`, async () => {
      const empty = { filters: f, monthly: [], forecast: [], countries: [], top_products: [], categories: [], outliers: { rule: '', threshold: null, count: 0, invoices: 0, top: [] } };
      if (!await data.has(LINES) || (f.segment !== undefined && !await data.has(SEGMENTS))) return { ...empty, hint: HINTS.retail, forecast_hint: HINTS.forecast };
      const w = salesWhere(f);
      const monthly = await data.query<{ month: string; revenue: number; invoices: number }>(
        `SELECT strftime(date_trunc('month', l.day), '%Y-%m') AS month, sum(l.revenue) AS revenue, count(DISTINCT l.invoice_no) AS invoices
         FROM ${SALES} l ${w.sql} GROUP BY 1 ORDER BY 1`, w.params);
      let forecast: z.infer<typeof Sales>['forecast'] = [];
      const hasForecast = await data.has(FORECAST);
      if (hasForecast) {
        const conds = [`granularity = 'month'`], params = {};
        periodConds(f, 'period', conds, params);
        forecast = await data.query(`SELECT strftime(period, '%Y-%m') AS period, model, kind, actual, forecast, is_best FROM ${FORECAST} WHERE ${conds.join(' AND ')} ORDER BY period, model`, params);
      }
      const countries = await data.query<{ country: string; revenue: number; customers: number; invoices: number }>(
        `SELECT l.country, sum(l.revenue) AS revenue, count(DISTINCT l.customer_id) AS customers, count(DISTINCT l.invoice_no) AS invoices
         FROM ${SALES} l ${w.sql} GROUP BY 1 ORDER BY 2 DESC`, w.params);
      const top_products = await data.query<z.infer<typeof Sales>['top_products'][number]>(
        `WITH top AS (SELECT l.stock_code, sum(l.revenue) AS revenue, CAST(sum(l.quantity) AS DOUBLE) AS units
                      FROM ${PRODUCT_LINES.table} l ${w.sql} GROUP BY 1 ORDER BY revenue DESC, stock_code LIMIT 10)
         SELECT top.stock_code, p.description, p.category, top.revenue, top.units
         FROM top JOIN ${PRODUCTS.table} p USING (stock_code) ORDER BY top.revenue DESC, top.stock_code`, w.params);
      const categories = await data.query<{ category: string; revenue: number; invoices: number }>(
        `SELECT l.category, sum(l.revenue) AS revenue, count(DISTINCT l.invoice_no) AS invoices FROM ${SALES} l ${w.sql} GROUP BY 1 ORDER BY 2 DESC`, w.params);
      const outliers = await invoiceOutliers(data, w);
      return { filters: f, hint: null, monthly, forecast, forecast_hint: hasForecast ? null : HINTS.forecast, countries, top_products, categories, outliers };
    });
  });

  app.get('/v1/dashboard/segments', {
    serializerCompiler: plainSerializer,
    schema: {
      summary: 'Customer segments: 2-D/3-D projections and profiles', tags,
      description: 'PCA (2-D and 3-D) and t-SNE coordinates of each customer, coloured by segment, and the profile of each segment (mean recency, frequency, monetary).',
      querystring: SegmentFilters, response: { 200: Segments, 400: ErrorResponse },
    },
  }, async (req) => {
    const f = req.query;
    return data.cached(`segments${filterKey(f)}`, async () => {
      const cols = ['customer_id', 'segment', 'pca_x', 'pca_y', 'pca3_x', 'pca3_y', 'pca3_z', 'tsne_x', 'tsne_y'] as const;
      const points = Object.fromEntries(cols.map((c) => [c, [] as unknown[]])) as Record<(typeof cols)[number], unknown[]> as z.infer<typeof Segments>['points'];
      if (!await data.has(SEGMENTS)) return { filters: f, hint: HINTS.segments, points, profiles: [] };
      const conds: string[] = [], params: Record<string, string | number> = {};
      if (f.country !== undefined) { conds.push('country = $country'); params.country = f.country; }
      if (f.segment !== undefined) { conds.push('segment = $segment'); params.segment = f.segment; }
      const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
      const finite = (c: string) => `CASE WHEN isfinite(${c}) THEN ${c} END AS ${c}`;
      const rows = await data.query<Record<string, unknown>>(
        `SELECT customer_id, segment, ${cols.slice(2).map(finite).join(', ')} FROM ${SEGMENTS} ${where} ORDER BY customer_id LIMIT ${MAX_POINTS}`, params);
      for (const r of rows) for (const c of cols) (points[c] as unknown[]).push(r[c]);
      const profiles = await data.query<z.infer<typeof Segments>['profiles'][number]>(
        `SELECT segment, any_value(segment_name) AS name, count(*) AS customers, avg(recency) AS recency, avg(frequency) AS frequency,
                avg(monetary) AS monetary, sum(monetary) / (SELECT sum(monetary) FROM ${SEGMENTS} ${where}) AS revenue_share
         FROM ${SEGMENTS} ${where} GROUP BY 1 ORDER BY 1`, params);
      return { filters: f, hint: null, points, profiles };
    });
  });

  app.get('/v1/dashboard/customers', {
    schema: { summary: 'Find customers by id prefix', tags, querystring: SearchQuery, response: { 200: z.object({ customers: z.array(CustomerRow), hint: z.string().nullable() }), 400: ErrorResponse } },
  }, async (req) => {
    const { q, limit } = req.query;
    if (!await data.has(LINES)) return { customers: [], hint: HINTS.retail };
    const seg = await data.has(SEGMENTS);
    const customers = await data.query<z.infer<typeof CustomerRow>>(seg
      ? `SELECT customer_id, country, segment, segment_name, monetary FROM ${SEGMENTS} WHERE customer_id LIKE $q ESCAPE '\\' ORDER BY customer_id LIMIT $limit`
      : `SELECT customer_id, mode(country) AS country, NULL AS segment, NULL AS segment_name, sum(revenue) AS monetary FROM ${SALES} WHERE customer_id LIKE $q ESCAPE '\\' GROUP BY 1 ORDER BY 1 LIMIT $limit`,
    { q: likePrefix(q), limit });
    return { customers, hint: seg ? null : HINTS.segments };
  });

  app.get('/v1/dashboard/customers/:id', {
    schema: {
      summary: 'A customer: sales, segment, predicted spend, most similar customers', tags,
      params: z.object({ id: z.string().min(1).max(64) }), querystring: z.object({ k: z.coerce.number().int().min(0).max(50).default(5) }),
      response: { 200: Customer, 400: ErrorResponse, 404: ErrorResponse },
    },
  }, async (req, reply) => {
    const { id } = req.params;
    if (!await data.has(LINES)) return reply.code(404).send(notFound(`unknown customer ${JSON.stringify(id)}: ${HINTS.retail}`, 'id'));
    const [sales] = await data.query<{ country: string | null; revenue: number | null; invoices: number; first: string | null; last: string | null }>(
      `SELECT mode(country) AS country, sum(revenue) AS revenue, count(DISTINCT invoice_no) AS invoices,
              strftime(min(day), '%Y-%m-%d') AS first, strftime(max(day), '%Y-%m-%d') AS last FROM ${SALES} WHERE customer_id = $id`, { id });
    if (!sales || sales.invoices === 0) return reply.code(404).send(notFound(`unknown customer ${JSON.stringify(id)} (no clean sales lines)`, 'id'));
    const hints: string[] = [];
    const [seg] = await data.has(SEGMENTS)
      ? await data.query<{ segment: number; name: string; recency: number; frequency: number; monetary: number }>(
        `SELECT segment, segment_name AS name, recency, frequency, monetary FROM ${SEGMENTS} WHERE customer_id = $id`, { id })
      : [];
    if (!seg) hints.push(HINTS.segments);
    const spendServable = ctx.models?.get(SPEND_MODEL);
    const x = ctx.features?.features?.rows.get(id);
    const spend = spendServable?.type === 'spend' && x
      ? { model: spendServable.name, version: spendServable.version, horizon_days: spendServable.horizonDays, spend: spendServable.predictVector(x) }
      : null;
    if (!spend) hints.push(spendServable ? 'no online features for this customer yet (they refresh with each new snapshot of the sales lines)' : 'no spend model served: run `tributary run retail`, then restart `tributary serve`');
    const segServable = ctx.models?.get(SEGMENT_MODEL);
    let similar: z.infer<typeof Customer>['similar'] = [];
    if (segServable?.type === 'segment' && segServable.model.state.ids.includes(id)) similar = segServable.model.matchCustomer(id, req.query.k).similar;
    else hints.push('no segmentation model knows this customer: run `tributary run retail`');
    return {
      customer_id: id, country: sales.country,
      sales: { revenue: sales.revenue ?? 0, invoices: sales.invoices, first: sales.first, last: sales.last },
      segment: seg ?? null, spend, similar, hints,
    };
  });
};

/** Sales KPIs of a filter, with their monthly trend and the churn at each month start of the period. */
async function retailKpis(data: DashboardData, f: SalesFilters): Promise<z.infer<typeof RetailKpis>> {
  const w = salesWhere(f);
  // the months and the whole period in one scan (the period's row has no month)
  const rows = await data.query<z.infer<typeof RetailKpis>['trend'][number] & { month: string | null }>(
    `SELECT strftime(m, '%Y-%m') AS month, coalesce(sum(revenue), 0) AS revenue, count(DISTINCT invoice_no) AS invoices,
            count(DISTINCT customer_id) AS customers, sum(revenue) / nullif(count(DISTINCT invoice_no), 0) AS avg_ticket
     FROM (SELECT date_trunc('month', l.day) AS m, l.revenue, l.invoice_no, l.customer_id FROM ${SALES} l ${w.sql})
     GROUP BY GROUPING SETS ((m), ()) ORDER BY grouping(m) DESC, m`, w.params);
  const tot = rows[0]?.month === null ? rows[0] : undefined;
  const trend = rows.filter((r) => r.month !== null);
  // churn as curated.commerce_churn defines it (src/warehouse/sql/250_commerce_churn.sql), over the
  // filtered customers' purchases: cutoffs at the month starts of the period whose 90 days lie in the data
  const dims = salesWhere(f, { period: false });
  const cutConds: string[] = [], cutParams: Record<string, string> = {};
  periodConds(f, 'CAST(cutoff AS DATE)', cutConds, cutParams);
  const churn_trend = await data.query<z.infer<typeof RetailKpis>['churn_trend'][number]>(
    `WITH b AS (SELECT min(ts) AS lo, max(ts) AS hi FROM ${SALES}),
     cut AS (SELECT unnest(generate_series(date_trunc('month', lo) + INTERVAL 1 MONTH, hi - INTERVAL 90 DAY, INTERVAL 1 MONTH)) AS cutoff FROM b),
     inv AS (SELECT DISTINCT l.customer_id, l.ts FROM ${SALES} l ${dims.sql}),
     per AS (
       SELECT c.cutoff, i.customer_id, bool_or(i.ts < c.cutoff) AS active,
              bool_or(i.ts >= c.cutoff AND i.ts < c.cutoff + INTERVAL 90 DAY) AS returned
       FROM (SELECT * FROM cut ${cutConds.length ? `WHERE ${cutConds.join(' AND ')}` : ''}) c CROSS JOIN inv i GROUP BY ALL)
     SELECT strftime(cutoff, '%Y-%m-%d') AS cutoff, count(*) FILTER (WHERE active) AS active,
            count(*) FILTER (WHERE active AND NOT returned) AS churned,
            count(*) FILTER (WHERE active AND NOT returned) / nullif(count(*) FILTER (WHERE active), 0) AS churn_rate
     FROM per GROUP BY cutoff ORDER BY cutoff`, { ...dims.params, ...cutParams });
  const last = churn_trend[churn_trend.length - 1];
  return {
    revenue: tot?.revenue ?? 0, invoices: tot?.invoices ?? 0, customers: tot?.customers ?? 0, avg_ticket: tot?.avg_ticket ?? null,
    churn_rate: last?.churn_rate ?? null, churn_cutoff: last?.cutoff ?? null, trend, churn_trend,
  };
}

/** Invoices far above the others (Tukey's fence: above Q3 + 3 IQR), the largest first, with their z-scores. */
async function invoiceOutliers(data: DashboardData, w: { sql: string; params: Record<string, any> }): Promise<z.infer<typeof Sales>['outliers']> {
  const rows = await data.query<{ invoice_no: string; customer_id: string | null; country: string; day: string; revenue: number; z: number | null; threshold: number; n: number; invoices: number }>(
    `WITH inv AS (
       SELECT l.invoice_no, any_value(l.customer_id) AS customer_id, any_value(l.country) AS country, min(l.day) AS day, sum(l.revenue) AS revenue
       FROM ${SALES} l ${w.sql} GROUP BY 1),
     q AS (SELECT quantile_cont(revenue, 0.25) AS q1, quantile_cont(revenue, 0.75) AS q3, avg(revenue) AS m, stddev_pop(revenue) AS sd, count(*) AS invoices FROM inv),
     o AS (SELECT inv.*, (revenue - m) / nullif(sd, 0) AS z, q3 + 3 * (q3 - q1) AS threshold, invoices FROM inv, q WHERE revenue > q3 + 3 * (q3 - q1))
     SELECT invoice_no, customer_id, country, strftime(day, '%Y-%m-%d') AS day, revenue, z, threshold, count(*) OVER () AS n, invoices
     FROM o ORDER BY revenue DESC, invoice_no LIMIT 15`, w.params);
  const [stats] = rows.length ? [rows[0]!] : await data.query<{ threshold: number | null; invoices: number }>(
    `WITH inv AS (SELECT l.invoice_no, sum(l.revenue) AS revenue FROM ${SALES} l ${w.sql} GROUP BY 1)
     SELECT quantile_cont(revenue, 0.75) + 3 * (quantile_cont(revenue, 0.75) - quantile_cont(revenue, 0.25)) AS threshold, count(*) AS invoices FROM inv`, w.params);
  return {
    rule: 'invoice revenue above Q3 + 3 IQR', threshold: stats?.threshold ?? null, count: rows[0]?.n ?? 0, invoices: stats?.invoices ?? 0,
    top: rows.map(({ threshold: _t, n: _n, invoices: _i, ...r }) => r),
  };
}
