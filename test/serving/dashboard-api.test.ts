// The dashboard's /v1/dashboard API over real HTTP, on a small world the product's own generators
// and pipelines built: every endpoint answers from the lake, a filter's numbers equal the same
// sums taken straight from the lake, empty states say what to run, the live rate follows posted
// events, and hostile filter values through every endpoint leave the lake unchanged and answer
// 400 or an empty result.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../src/serving/server.ts';
import { Warehouse } from '../../src/warehouse/session.ts';
import { writeLakeTable } from '../../src/warehouse/lake-rows.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { buildDashboardWorld } from '../web/world.ts';

const HOSTILE = [
  "x' OR '1'='1", "'; DROP TABLE curated.commerce_lines; --", 'France"; DELETE FROM lake_tables; --', "') UNION SELECT * FROM raw.order_line --",
  "1; COPY (SELECT 1) TO '/tmp/pwned.csv'", "%' OR 1=1 --", '\\\'; ATTACH \'/tmp/x.db\' AS x; --', '$country', '?', "\u0000'", 'a'.repeat(5000),
];

/** Every lake file's path, size and content hash, and the catalog's tables at their snapshots. */
async function lakeState(server: RunningServer): Promise<string> {
  const h = createHash('sha256');
  for (const t of await server.ctx.lake.catalog.tables()) h.update(`${t.table}@${t.snapshot}:${t.rows}:${t.files}\n`);
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(`${p}:${statSync(p).size}:`).update(readFileSync(p));
    }
  };
  walk(join(server.ctx.config.home, 'lake'));
  return h.digest('hex');
}

/** True when an answer holds no data rows: every array in it is empty and every count zero. */
// (the music KPIs of the overview follow the period only)
function isEmptyAnswer(v: unknown, key = ''): boolean {
  if (Array.isArray(v)) {
    return v.length === 0 || ['months', 'music_months', 'music_countries', 'categories', 'countries', 'segments', 'last_minute'].includes(key);
  }
  if (v && typeof v === 'object') return Object.entries(v).every(([k, x]) => ['filters', 'music', 'models'].includes(k) || isEmptyAnswer(x, k));
  if (typeof v === 'number') return v === 0 || ['threshold'].includes(key);
  return true;
}

test('dashboard API', async (t) => {
  const { home, cleanup } = tmpHome();
  const config = testConfig(home);
  await buildDashboardWorld(config);
  const server = await startServer(config, { featureRefreshMs: 60_000 });
  t.after(async () => { await server.close(); cleanup(); });
  const get = async (path: string) => {
    const r = await fetch(`${server.url}${path}`);
    return { status: r.status, body: await r.json() as any };
  };
  // a second session over the server's own lake (a second Lake on the same home would replay its log)
  const wh = await Warehouse.open({ lake: server.ctx.lake });
  t.after(() => wh.close());
  const lake = async <T>(sql: string, params?: Record<string, string>) => { await wh.refresh(); return wh.query<T>(sql, params); };

  await t.test('every endpoint is in the OpenAPI document', async () => {
    const doc = await (await fetch(`${server.url}/openapi.json`)).json() as { paths: Record<string, unknown> };
    for (const p of ['/v1/dashboard/filters', '/v1/dashboard/overview', '/v1/dashboard/sales', '/v1/dashboard/segments',
      '/v1/dashboard/customers', '/v1/dashboard/customers/{id}',
      '/v1/dashboard/music', '/v1/dashboard/users', '/v1/dashboard/users/{id}', '/v1/dashboard/runs', '/v1/dashboard/runs/compare', '/v1/dashboard/runs/{id}',
      '/v1/dashboard/models', '/v1/dashboard/models/{name}', '/v1/dashboard/pipelines', '/v1/dashboard/streaming', '/v1/dashboard/events/rate',
      '/v1/dashboard/events/stream', '/v1/models/{name}/rollback']) {
      assert.ok(doc.paths[p], `${p} documented`);
    }
  });

  await t.test('overview KPIs equal the lake\'s, with and without a filter', async () => {
    const all = (await get('/v1/dashboard/overview')).body;
    const [direct] = await lake<{ revenue: number; invoices: number; customers: number }>(
      'SELECT sum(revenue) AS revenue, count(DISTINCT invoice_no) AS invoices, count(DISTINCT customer_id) AS customers FROM curated.commerce_lines');
    assert.ok(Math.abs(all.retail.revenue - direct!.revenue) < 1e-6 * direct!.revenue);
    assert.equal(all.retail.invoices, direct!.invoices);
    assert.equal(all.retail.customers, direct!.customers);
    // the churn of the whole data is the retail pipeline's own (curated.commerce_churn)
    const [churn] = await lake<{ churn_rate: number }>(`SELECT churn_rate FROM curated.commerce_churn WHERE level = 'all' ORDER BY cutoff DESC LIMIT 1`);
    assert.ok(Math.abs(all.retail.churn_rate - churn!.churn_rate) < 1e-12);
    const months = (await get('/v1/dashboard/filters')).body.months as string[];
    const country = all.retail && (await get('/v1/dashboard/filters')).body.countries.find((c: string) => c !== 'United Kingdom');
    const f = (await get(`/v1/dashboard/overview?country=${encodeURIComponent(country)}&from=${months[2]}&to=${months[8]}`)).body;
    const [d] = await lake<{ revenue: number; invoices: number }>(
      `SELECT sum(revenue) AS revenue, count(DISTINCT invoice_no) AS invoices FROM curated.commerce_lines
       WHERE country = $c AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE) + INTERVAL 1 MONTH`, {
        c: country,
        from: `${months[2]}-01`,
        to: `${months[8]}-01`,
      });
    assert.ok(f.retail.revenue < all.retail.revenue);
    assert.ok(Math.abs(f.retail.revenue - d!.revenue) < 1e-6 * d!.revenue);
    assert.equal(f.retail.invoices, d!.invoices);
    assert.ok(f.retail.trend.every((x: { month: string }) => x.month >= months[2]! && x.month <= months[8]!));
    const seg = (await get('/v1/dashboard/overview?segment=0')).body;
    const [s] = await lake<{ revenue: number }>(`SELECT sum(revenue) AS revenue FROM curated.commerce_lines WHERE ` +
      `customer_id IN (SELECT customer_id FROM curated.commerce_segments WHERE segment = 0)`);
    assert.ok(Math.abs(seg.retail.revenue - s!.revenue) < 1e-6 * s!.revenue);
    assert.ok(all.music.plays > 0 && all.music.skip_rate > 0 && all.music.hours_per_week > 0);
  });

  await t.test('a category, segment and period together: every sales figure equals the lake\'s, churn and outliers too', async () => {
    const { months, categories } = (await get('/v1/dashboard/filters')).body;
    const category = categories[0], from = months[3], to = months[10];
    const f = { category, segment: '1', from, to };
    const qs = new URLSearchParams(f).toString();
    const o = (await get(`/v1/dashboard/overview?${qs}`)).body.retail;
    const s = (await get(`/v1/dashboard/sales?${qs}`)).body;
    const p = { c: category, from: `${from}-01`, to: `${to}-01` };
    const dims = `category = $c AND customer_id IN (SELECT customer_id FROM curated.commerce_segments WHERE segment = 1)`;
    const where = `${dims} AND day >= CAST($from AS DATE) AND day < CAST($to AS DATE) + INTERVAL 1 MONTH`;
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
    const [tot] = await lake<{ revenue: number; invoices: number; customers: number }>(
      `SELECT sum(revenue) AS revenue, count(DISTINCT invoice_no) AS invoices, count(DISTINCT customer_id) AS customers ` +
        `FROM curated.commerce_lines WHERE ${where}`, p);
    assert.ok(tot!.invoices > 0, 'the filter selects sales');
    assert.ok(close(o.revenue, tot!.revenue));
    assert.deepEqual([o.invoices, o.customers], [tot!.invoices, tot!.customers]);
    const monthly = await lake<{ month: string; revenue: number; invoices: number; customers: number }>(
      `SELECT strftime(day, '%Y-%m') AS month, sum(revenue) AS revenue, count(DISTINCT invoice_no) AS invoices, count(DISTINCT customer_id) AS customers
       FROM curated.commerce_lines WHERE ${where} GROUP BY 1 ORDER BY 1`, p);
    assert.deepEqual(o.trend.map((m: any) => [m.month, m.invoices, m.customers]), monthly.map((m) => [m.month, m.invoices, m.customers]));
    assert.deepEqual(s.monthly.map((m: any) => [m.month, m.invoices]), monthly.map((m) => [m.month, m.invoices]));
    assert.ok(s.monthly.every((m: any, i: number) => close(m.revenue, monthly[i]!.revenue)));
    const countries = await lake<{ country: string; revenue: number; customers: number; invoices: number }>(
      `SELECT country, sum(revenue) AS revenue, count(DISTINCT customer_id) AS customers, count(DISTINCT invoice_no) AS invoices
       FROM curated.commerce_lines WHERE ${where} GROUP BY 1 ORDER BY 2 DESC, 1`, p);
    assert.deepEqual(s.countries.map((c: any) => [c.country, c.customers, c.invoices]), countries.map((c) => [c.country, c.customers, c.invoices]));
    assert.deepEqual(s.categories.map((c: any) => [c.category, c.invoices]), [[category, tot!.invoices]]);
    const top = await lake<{ stock_code: string; revenue: number }>(
      `SELECT stock_code, sum(revenue) AS revenue FROM curated.commerce_lines WHERE is_product AND ${where} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`, p);
    assert.deepEqual(s.top_products.map((r: any) => r.stock_code), top.map((r) => r.stock_code));
    const [out] = await lake<{ invoices: number; n: number }>(
      `WITH inv AS (SELECT invoice_no, sum(revenue) AS revenue FROM curated.commerce_lines WHERE ${where} GROUP BY 1),
       q AS (SELECT quantile_cont(revenue, 0.25) AS q1, quantile_cont(revenue, 0.75) AS q3 FROM inv)
       SELECT (SELECT count(*) FROM inv) AS invoices, count(*) FILTER (WHERE revenue > q3 + 3 * (q3 - q1)) AS n FROM inv, q`, p);
    assert.deepEqual([s.outliers.invoices, s.outliers.count], [out!.invoices, out!.n]);
    // churn over the filtered customers' purchases (all time) at the period's cutoffs, as 250_commerce_churn.sql
    const churn = await lake<{ cutoff: string; active: number; churned: number }>(
      `WITH b AS (SELECT min(ts) AS lo, max(ts) AS hi FROM curated.commerce_lines),
       cut AS (SELECT unnest(generate_series(date_trunc('month', lo) + INTERVAL 1 MONTH, hi - INTERVAL 90 DAY, INTERVAL 1 MONTH)) AS cutoff FROM b),
       per AS (SELECT c.cutoff, i.customer_id, bool_or(i.ts < c.cutoff) AS active, bool_or(i.ts >= c.cutoff AND i.ts < c.cutoff + INTERVAL 90 DAY) AS returned
               FROM cut c CROSS JOIN (SELECT DISTINCT customer_id, ts FROM curated.commerce_lines WHERE ${dims}) i GROUP BY ALL)
       SELECT strftime(cutoff, '%Y-%m-%d') AS cutoff, count(*) FILTER (WHERE active) AS active, count(*) FILTER (WHERE active AND NOT returned) AS churned
       FROM per WHERE CAST(cutoff AS DATE) >= CAST($from AS DATE) AND CAST(cutoff AS DATE) < CAST($to AS DATE) + INTERVAL 1 MONTH GROUP BY 1 ORDER BY 1`, p);
    assert.ok(churn.length > 0);
    assert.deepEqual(o.churn_trend.map((c: any) => [c.cutoff, c.active, c.churned]), churn.map((c) => [c.cutoff, c.active, c.churned]));
  });

  await t.test('the forecast follows the filter: the total\'s forecast times the filter\'s share of the months before', async () => {
    const all = (await get('/v1/dashboard/sales')).body;
    const [pipeline] = await lake<{ n: number }>(`SELECT count(*) AS n FROM curated.commerce_forecast WHERE granularity = 'month'`);
    assert.equal(all.forecast.length, pipeline!.n);
    const country = (await get('/v1/dashboard/filters')).body.countries.find((c: string) => c !== 'United Kingdom');
    const s = (await get(`/v1/dashboard/sales?country=${encodeURIComponent(country)}`)).body;
    assert.match(s.forecast_method, /top-down/);
    assert.equal(s.forecast.length, all.forecast.length);
    const share = await lake<{ period: string; slice: number; share: number }>(
      `WITH p AS (SELECT DISTINCT period FROM curated.commerce_forecast WHERE granularity = 'month')
       SELECT strftime(p.period, '%Y-%m') AS period,
              (SELECT coalesce(sum(revenue), 0) FROM curated.commerce_lines WHERE country = $c AND date_trunc('month', day) = p.period) AS slice,
              (SELECT coalesce(sum(revenue), 0) FROM curated.commerce_lines WHERE country = $c AND day < p.period)
                / (SELECT sum(revenue) FROM curated.commerce_lines WHERE day < p.period) AS share
       FROM p`, { c: country });
    const byPeriod = new Map(share.map((r) => [r.period, r]));
    let differs = 0;
    for (const [i, r] of s.forecast.entries()) {
      const a = all.forecast[i], x = byPeriod.get(r.period)!;
      assert.deepEqual([r.period, r.model, r.kind], [a.period, a.model, a.kind]);
      assert.ok(Math.abs(r.forecast - a.forecast * x.share) <= 1e-6 * Math.abs(a.forecast), `${r.period} ${r.model}: ${r.forecast} vs ${a.forecast * x.share}`);
      if (r.kind === 'backtest') assert.ok(Math.abs(r.actual - x.slice) <= 1e-6 * Math.max(1, x.slice));
      if (r.forecast !== a.forecast) differs++;
    }
    assert.ok(differs > 0);
    const months = (await get('/v1/dashboard/filters')).body.months;
    const later = (await get(`/v1/dashboard/sales?country=${encodeURIComponent(country)}&from=${months[9]}`)).body;
    assert.ok(later.forecast.length > 0 && later.forecast.every((r: any) => r.period >= months[9]));
  });

  await t.test('genre transitions follow the filter: the SQL model\'s counts, of the plays the filter keeps', async () => {
    const all = (await get('/v1/dashboard/music')).body;
    const model = await lake<{ prev_genre: string; genre: string; plays: number }>(`SELECT prev_genre, genre, plays ` +
      `FROM curated.music_genre_transitions ORDER BY 1, 2`);
    assert.deepEqual(all.transitions.map((t: any) => [t.prev_genre, t.genre, t.plays]), model.map((t) => [t.prev_genre, t.genre, t.plays]));
    const [{ country }] = await lake<{ country: string }>(`SELECT country FROM curated.users GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`) as [{
      country: string;
    }];
    const month = (await get('/v1/dashboard/filters')).body.music_months.at(-1);
    const f = (await get(`/v1/dashboard/music?from=${month}&to=${month}&country=${country}`)).body;
    const direct = await lake<{ prev_genre: string; genre: string; plays: number; skips: number }>(
      `WITH seq AS (SELECT p.user_id, p.day, p.ts, p.skipped, t.genre, lag(t.genre) OVER w AS prev_genre, lag(p.ts) OVER w AS prev_ts
                    FROM curated.plays p JOIN curated.tracks t USING (track_id) WINDOW w AS (PARTITION BY p.user_id, p.day ORDER BY p.ts, p.event_id))
       SELECT prev_genre, genre, count(*) AS plays, sum(skipped::INT) AS skips FROM seq
       WHERE prev_genre IS NOT NULL AND genre IS NOT NULL AND ts - prev_ts <= INTERVAL 30 MINUTE AND strftime(day, '%Y-%m') = $m
         AND user_id IN (SELECT user_id FROM curated.users WHERE country = $c) GROUP BY 1, 2 ORDER BY 1, 2`, { m: month, c: country });
    assert.ok(direct.length > 0);
    const counts = (ts: any[]) => ts.map((t: any) => [t.prev_genre, t.genre, t.plays, Math.round(t.skip_rate * t.plays)]);
    assert.deepEqual(counts(f.transitions), direct.map((t) => [t.prev_genre, t.genre, t.plays, t.skips]));
    assert.notDeepEqual(f.transitions.map((t: any) => t.plays), all.transitions.map((t: any) => t.plays));
  });

  await t.test('sales, segments, music, customers, users, runs, models, pipelines answer from the lake and the registry', async () => {
    const sales = (await get('/v1/dashboard/sales')).body;
    assert.ok(sales.monthly.length > 6 && sales.countries.length > 1 && sales.top_products.length === 10 && sales.categories.length > 2);
    assert.ok(sales.forecast.some((r: any) => r.kind === 'backtest') && sales.forecast.some((r: any) => r.kind === 'future'));
    const segs = (await get('/v1/dashboard/segments')).body;
    assert.equal(segs.points.customer_id.length, segs.profiles.reduce((a: number, p: any) => a + p.customers, 0));
    const id = segs.points.customer_id[0];
    const found = (await get(`/v1/dashboard/customers?q=${id.slice(0, 3)}`)).body;
    assert.ok(found.customers.some((c: any) => c.customer_id === id));
    const c = (await get(`/v1/dashboard/customers/${id}`)).body;
    assert.equal(c.segment.segment, segs.points.segment[0]);
    assert.equal(c.spend.model, 'retail-spend');
    assert.equal(c.similar.length, 5);
    assert.equal((await get('/v1/dashboard/customers/no-such-customer')).status, 404);
    const music = (await get('/v1/dashboard/music')).body;
    assert.ok(music.skip_by_genre.length > 3 && music.skip_by_hour.length > 10 && music.transitions.length > 3 && music.top_tracks.length === 10);
    const users = (await get('/v1/dashboard/users?q=u1')).body.users;
    assert.ok(users.length > 0 && users.every((u: any) => u.user_id.startsWith('u1')));
    const u = (await get(`/v1/dashboard/users/${users[0].user_id}`)).body;
    assert.ok(u.playlist.length > 0 && u.playlist.every((p: any) => p.reason.length > 0));
    assert.ok(u.recent.length > 0);
    const runs = (await get('/v1/dashboard/runs?top_level=true')).body.runs;
    assert.ok(runs.some((r: any) => r.pipeline === 'retail') && runs.some((r: any) => r.pipeline === 'music'));
    assert.ok(runs.every((r: any) => r.parent_run_id === null));
    const filtered = (await get(`/v1/dashboard/runs?top_level=true&filter=${encodeURIComponent('metrics.spend_rmse > 0')}`)).body.runs;
    assert.deepEqual(filtered.map((r: any) => r.pipeline), ['retail']);
    const cmp = (await get(`/v1/dashboard/runs/compare?ids=${runs.map((r: any) => r.id).join(',')}`)).body;
    assert.equal(cmp.runs.length, runs.length);
    assert.ok(cmp.curves.some((s: any) => s.key === 'kmeans_silhouette'));
    assert.ok(cmp.runs.every((r: any) => r.steps.length > 0));
    const models = (await get('/v1/dashboard/models')).body.models.map((m: any) => m.name).sort();
    assert.deepEqual(models, ['music-like', 'music-recommender', 'retail-segments', 'retail-spend']);
    const spend = (await get('/v1/dashboard/models/retail-spend')).body;
    assert.ok(spend.versions[0].lineage.snapshots.some((s: any) => s.table === 'curated.commerce_lines'));
    assert.match(spend.versions[0].card, /retail-spend/);
    const pipes = (await get('/v1/dashboard/pipelines')).body.runs;
    const retail = pipes.find((r: any) => r.pipeline === 'retail');
    assert.deepEqual(retail.steps.map((s: any) => s.name).filter((n: string) => ['source', 'clean', 'export'].includes(n)), ['source', 'clean', 'export']);
  });

  await t.test('runs recorded as child runs (one per step) show as steps of their pipeline', async () => {
    const { Tracker } = await import('../../src/tracking/index.ts');
    const tracker = new Tracker(server.ctx.store, { home });
    const run = await tracker.startRun({ pipeline: 'stepwise' });
    // steps show in the order they started: a few ms apart, as the tracker's times are milliseconds
    for (const step of ['ingest', 'train']) { const c = await run.startChild({ step }); await c.end('finished'); await new Promise((r) => setTimeout(r, 5)); }
    await run.end('finished');
    const d = (await get(`/v1/dashboard/runs/${run.id}`)).body;
    assert.deepEqual(d.steps.map((s: any) => [s.name, s.source]), [['ingest', 'child_run'], ['train', 'child_run']]);
  });

  await t.test('the streaming services\' requests, errors and latency per minute, from the lake', async () => {
    assert.match((await get('/v1/dashboard/streaming')).body.hint, /tributary demo --stream/);
    const ts = ['2026-03-01T10:00:05Z', '2026-03-01T10:00:40Z', '2026-03-01T10:01:10Z', '2026-03-01T10:01:20Z', '2026-03-01T10:01:30Z'];
    await writeLakeTable(wh, 'inference.stream_predictions', [
      { name: 'request_id', type: 'VARCHAR' }, { name: 'ts', type: 'VARCHAR' }, { name: 'age', type: 'DOUBLE' }, { name: 'predicted_income', type: 'DOUBLE' },
      { name: 'model_version', type: 'BIGINT' }, { name: 'latency_ms', type: 'DOUBLE' }, { name: 'status', type: 'VARCHAR' }, { name: 'via', type: 'VARCHAR' },
    ], {
      request_id: ts.map((_, i) => `r${i}`), ts, age: [30, 40, 50, 60, 70], predicted_income: [1, 2, null, 4, 5], model_version: [1, 1, null, 1, 1],
      latency_ms: [2, 4, 100, 6, 8], status: ['ok', 'ok', 'timeout', 'ok', 'ok'], via: ['bus', 'bus', 'bus', 'http', 'bus'],
    });
    await new Promise((r) => setTimeout(r, 1100)); // the dashboard checks the catalog once a second
    const s = (await get('/v1/dashboard/streaming')).body;
    assert.equal(s.hint, null);
    assert.equal(s.records.predictions, 5);
    assert.deepEqual(s.minutes.map((m: any) => [m.minute, m.requests, m.ok, m.errors]), [['2026-03-01T10:00Z', 2, 2, 0], ['2026-03-01T10:01Z', 3, 2, 1]]);
    assert.equal(s.minutes[0].latency_p50_ms, 3);
  });

  await t.test('the live rate follows the events posted to the collector (server-sent events)', async () => {
    const ac = new AbortController();
    const res = await fetch(`${server.url}/v1/dashboard/events/stream?interval_ms=200`, { signal: ac.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    const next = async () => {
      for (;;) {
        const i = buf.indexOf('\n\n');
        if (i >= 0) { const ev = buf.slice(0, i); buf = buf.slice(i + 2); return JSON.parse(ev.split('\n').find((l) => l.startsWith('data: '))!.slice(6)); }
        const { value } = await reader.read();
        buf += dec.decode(value, { stream: true });
      }
    };
    const first = await next();
    const events = Array.from({ length: 25 }, (_, i) => ({
      event_id: `sse-${i}`,
      type: 'play',
      ts: '2026-01-01T00:00:00Z',
      user_id: 'u1',
      track_id: 't1',
      ms_played: 1000,
    }));
    const post = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
    assert.equal(post.status, 200, await post.text());
    let later = await next();
    while (later.accepted_total === first.accepted_total) later = await next();
    assert.equal(later.accepted_total - first.accepted_total, 25);
    // the per-second counts show a second once it is over
    const sum = (r: any) => r.last_minute.reduce((a: number, p: any) => a + p.accepted, 0);
    while (sum(later) === sum(first)) later = await next();
    assert.equal(sum(later) - sum(first), 25);
    ac.abort();
  });

  await t.test('hostile filter values through every endpoint: the lake unchanged, 400 or an empty answer', async () => {
    await server.ctx.lake.flush();
    const before = await lakeState(server);
    const runs = (await get('/v1/dashboard/runs')).body.runs;
    const q = encodeURIComponent;
    const probes = (v: string) => [
      ...['overview', 'sales'].flatMap((p) => ['category', 'country', 'from', 'to', 'segment'].map((k) => `/v1/dashboard/${p}?${k}=${q(v)}`)),
      `/v1/dashboard/segments?country=${q(v)}`, `/v1/dashboard/segments?segment=${q(v)}`,
      `/v1/dashboard/music?from=${q(v)}`, `/v1/dashboard/music?country=${q(v)}`,
      `/v1/dashboard/customers?q=${q(v)}`, `/v1/dashboard/customers/${q(v)}`, `/v1/dashboard/users?q=${q(v)}`, `/v1/dashboard/users/${q(v)}`,
      `/v1/dashboard/runs?filter=${q(v)}`, `/v1/dashboard/runs?pipeline=${q(v)}`, `/v1/dashboard/runs?status=${q(v)}`,
      `/v1/dashboard/runs/compare?ids=${q(`${runs[0].id},${v}`)}`, `/v1/dashboard/runs/${q(v)}`, `/v1/dashboard/models/${q(v)}`,
      `/v1/dashboard/pipelines?pipeline=${q(v)}`, `/v1/dashboard/customers?q=x&limit=${q(v)}`,
    ];
    let n = 0;
    for (const v of HOSTILE) {
      for (const path of probes(v)) {
        const r = await fetch(`${server.url}${path}`);
        const body = await r.json() as any;
        n++;
        // 414: a path parameter longer than the router takes
        assert.ok(
          [400, 404, 414].includes(r.status) || (r.status === 200 && isEmptyAnswer(body)),
          `${path.slice(0, 200)}: ${r.status} ${JSON.stringify(body).slice(0, 300)}`,
        );
        if (r.status === 200 && body.retail) assert.equal(body.retail.revenue, 0, path);
      }
    }
    assert.ok(n > 250, `${n} probes`);
    // the server still answers, from the same data
    assert.ok((await get('/v1/dashboard/overview')).body.retail.revenue > 0);
    assert.equal(await lakeState(server), before);
  });

  await t.test('rollback through the API moves the champion back', async () => {
    const reg = server.ctx.registry!;
    const v1 = await reg.loadModel('retail-segments', 1);
    await reg.registerModel('retail-segments', { artifact: v1.artifact, metrics: v1.metrics, params: v1.params });
    await reg.promote('retail-segments', 2, { by: 'test' });
    const r = await fetch(`${server.url}/v1/models/retail-segments/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'test' }),
    });
    const b = await r.json() as any;
    assert.equal(r.status, 200, JSON.stringify(b));
    assert.deepEqual([b.from_version, b.to_version, b.serving_version], [2, 1, 1]);
    const again = await fetch(`${server.url}/v1/models/retail-segments/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(again.status, 400);
  });
});

test('dashboard API on an empty home: empty states say what to run', async (t) => {
  const { home, cleanup } = tmpHome();
  const server = await startServer(testConfig(home));
  t.after(async () => { await server.close(); cleanup(); });
  const get = async (p: string) => (await fetch(`${server.url}${p}`)).json() as Promise<any>;
  const o = await get('/v1/dashboard/overview');
  assert.equal(o.retail, null);
  assert.match(o.retail_hint, /tributary run retail/);
  assert.match(o.music_hint, /tributary/);
  assert.match((await get('/v1/dashboard/sales')).hint, /tributary run retail/);
  assert.match((await get('/v1/dashboard/segments')).hint, /tributary run retail/);
  assert.match((await get('/v1/dashboard/music')).hint, /tributary/);
  assert.match((await get('/v1/dashboard/runs')).hint, /tributary/);
  assert.match((await get('/v1/dashboard/models')).hint, /tributary/);
  assert.match((await get('/v1/dashboard/pipelines')).hint, /tributary/);
  assert.match((await get('/v1/dashboard/streaming')).hint, /tributary demo --stream/);
  assert.match((await get('/v1/dashboard/customers?q=1')).hint, /tributary run retail/);
  const home404 = await fetch(`${server.url}/v1/dashboard/users/u1`);
  assert.equal(home404.status, 404);
});
