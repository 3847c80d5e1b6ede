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
import type { DashboardData } from '../dashboard/data.ts';
import { HINTS, SalesFilters, SearchQuery, filterKey, likePrefix } from '../dashboard/filters.ts';
import { musicOverview, MusicOverview } from '../dashboard/music-queries.ts';
import { RetailKpis, SalesParts, retailKpis, salesBreakdowns, salesForecast } from '../dashboard/sales-queries.ts';
import { LINES, SALES_CUBE, SALES_ROLLUP, SEGMENTS } from '../dashboard/sales-tables.ts';
import { SEGMENT_MODEL, SPEND_MODEL } from '../servables.ts';
import { ErrorResponse, notFound, plainSerializer } from './common.ts';

/** one row per invoice and category: a customer's sales */
const SALES = SALES_ROLLUP.table;
const CUBE = SALES_CUBE.table;
const FORECAST = 'curated.commerce_forecast';
const num = z.number().nullable();

const Overview = z.object({
  filters: SalesFilters,
  retail: RetailKpis.nullable(), retail_hint: z.string().nullable().describe('what to run when there is no sales data'),
  music: MusicOverview.nullable(), music_hint: z.string().nullable(),
});
const Filters = z.object({
  months: z.array(z.string()).describe('months with sales'), music_months: z.array(z.string()).describe('months with plays'),
  music_countries: z.array(z.string()).describe('countries of the listeners with plays (as the users table has them)'),
  categories: z.array(z.string()), countries: z.array(z.string()),
  segments: z.array(z.object({ segment: z.number().int(), name: z.string() })),
  hint: z.string().nullable(),
});
const Sales = z.object({
  filters: SalesFilters, hint: z.string().nullable(), forecast_hint: z.string().nullable(), ...SalesParts,
});
const SegmentFilters = SalesFilters.pick({ country: true, segment: true });
const Segments = z.object({
  filters: SegmentFilters, hint: z.string().nullable(),
  points: z.object({
    customer_id: z.array(z.string()), segment: z.array(z.number().int()),
    pca_x: z.array(num), pca_y: z.array(num), pca3_x: z.array(num), pca3_y: z.array(num), pca3_z: z.array(num), tsne_x: z.array(num), tsne_y: z.array(num),
  }).describe('columns, one entry per customer (at most 20,000)'),
  profiles: z.array(z.object({
    segment: z.number().int(), name: z.string(), customers: z.number().int(), recency: z.number(), frequency: z.number(), monetary: z.number(),
    revenue_share: z.number(),
  })),
});
const CustomerRow = z.object({
  customer_id: z.string(),
  country: z.string().nullable(),
  segment: z.number().int().nullable(),
  segment_name: z.string().nullable(),
  monetary: num,
});
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
    const months = hasLines ? await data.query<{ m: string }>(`SELECT DISTINCT strftime(month, '%Y-%m') AS m FROM ${CUBE} ORDER BY 1`) : [];
    const cats = hasLines ? await data.query<{ c: string }>(`SELECT DISTINCT category AS c FROM ${CUBE} WHERE category IS NOT NULL ORDER BY 1`) : [];
    const countries = hasLines ? await data.query<{ c: string }>(`SELECT DISTINCT country AS c FROM ${CUBE} WHERE country IS NOT NULL ORDER BY 1`) : [];
    const segments = await data.has(SEGMENTS)
      ? await data.query<{ segment: number; name: string }>(`SELECT segment, any_value(segment_name) AS name FROM ${SEGMENTS} GROUP BY 1 ORDER BY 1`)
      : [];
    const hasPlays = await data.has('curated.plays');
    const musicMonths = hasPlays
      ? await data.query<{ m: string }>(`SELECT DISTINCT strftime(date_trunc('month', day), '%Y-%m') AS m FROM curated.plays ORDER BY 1`)
      : [];
    const musicCountries = hasPlays ? await data.query<{ c: string }>(
      `SELECT DISTINCT country AS c FROM curated.users WHERE country IS NOT NULL AND user_id IN (SELECT user_id FROM curated.plays) ORDER BY 1`) : [];
    return {
      months: months.map((r) => r.m), music_months: musicMonths.map((r) => r.m), music_countries: musicCountries.map((r) => r.c),
      categories: cats.map((r) => r.c), countries: countries.map((r) => r.c), segments, hint: hasLines ? null : HINTS.retail,
    };
  }));

  app.get('/v1/dashboard/overview', {
    serializerCompiler: plainSerializer,
    schema: {
      summary: 'Overview KPIs and their trends', tags,
      description: 'Revenue, average ticket, customers and churn rate (sales, for the filter), plays, hours listened ' +
        'per week, skip rate and recommendation acceptance rate (music, for the period), each with its trend.',
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
      description: 'Forecast against actuals of the filtered sales: each backtest row is one fold (origin), `kind` ' +
        'future is the next month. The retail pipeline backtests the monthly total; with a category, country or segment ' +
        'the forecast is top-down (`forecast_method` says how).',
      querystring: SalesFilters, response: { 200: Sales, 400: ErrorResponse },
    },
  }, async (req) => {
    const f = req.query;
    return data.cached(`sales${filterKey(f)}`, async () => {
      const empty = {
        filters: f,
        monthly: [],
        forecast: [],
        forecast_method: '',
        countries: [],
        top_products: [],
        categories: [],
        outliers: { rule: '', threshold: null, count: 0, invoices: 0, top: [] },
      };
      if (!await data.has(LINES) || (f.segment !== undefined && !await data.has(SEGMENTS))) {
        return { ...empty, hint: HINTS.retail, forecast_hint: HINTS.forecast };
      }
      const hasForecast = await data.has(FORECAST);
      const forecast = hasForecast ? await salesForecast(data, f) : { forecast: [], forecast_method: '' };
      return { filters: f, hint: null, ...await salesBreakdowns(data, f), ...forecast, forecast_hint: hasForecast ? null : HINTS.forecast };
    });
  });

  app.get('/v1/dashboard/segments', {
    serializerCompiler: plainSerializer,
    schema: {
      summary: 'Customer segments: 2-D/3-D projections and profiles', tags,
      description: 'PCA (2-D and 3-D) and t-SNE coordinates of each customer, coloured by segment, and the profile of ' +
        'each segment (mean recency, frequency, monetary).',
      querystring: SegmentFilters, response: { 200: Segments, 400: ErrorResponse },
    },
  }, async (req) => {
    const f = req.query;
    return data.cached(`segments${filterKey(f)}`, async () => {
      const cols = ['customer_id', 'segment', 'pca_x', 'pca_y', 'pca3_x', 'pca3_y', 'pca3_z', 'tsne_x', 'tsne_y'] as const;
      const points = Object.fromEntries(cols.map((c) => [c, [] as unknown[]])) as Record<(typeof cols)[number], unknown[]> as
        z.infer<typeof Segments>['points'];
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
    schema: {
      summary: 'Find customers by id prefix',
      tags,
      querystring: SearchQuery,
      response: { 200: z.object({ customers: z.array(CustomerRow), hint: z.string().nullable() }), 400: ErrorResponse },
    },
  }, async (req) => {
    const { q, limit } = req.query;
    if (!await data.has(LINES)) return { customers: [], hint: HINTS.retail };
    const seg = await data.has(SEGMENTS);
    const customers = await data.query<z.infer<typeof CustomerRow>>(seg
      ? `SELECT customer_id, country, segment, segment_name, monetary FROM ${SEGMENTS} WHERE customer_id LIKE $q ESCAPE '\\' ORDER BY customer_id LIMIT $limit`
      : `SELECT customer_id, mode(country) AS country, NULL AS segment, NULL AS segment_name, sum(revenue) AS monetary ` +
        `FROM ${SALES} WHERE customer_id LIKE $q ESCAPE '\\' GROUP BY 1 ORDER BY 1 LIMIT $limit`,
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
    if (!spend) hints.push(spendServable
      ? 'no online features for this customer yet (they refresh with each new snapshot of the sales lines)'
      : 'no spend model served: run `tributary run retail`, then restart `tributary serve`');
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
