// `tributary run retail` end to end on a small generated retail world: the KPIs equal an
// independent computation from the raw lines, the validation report adds up, the forecast and
// segment tables are in the lake, and the models are registered with lineage and can be loaded
// back and called the way the serving layer calls them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineState } from '../../../src/pipeline/state.ts';
import { jsonSummary, runRetail, SCAN_TABLE, SEGMENTS_TABLE } from '../../../src/pipeline/retail.ts';
import { FORECAST_TABLE } from '../../../src/analytics/retail/forecast.ts';
import { churnRate } from '../../../src/analytics/retail/kpis.ts';
import { SegmentModel, type CustomerProfile } from '../../../src/analytics/retail/segments.ts';
import { buildServable } from '../../../src/serving/servables.ts';
import { ModelRegistry } from '../../../src/tracking/index.ts';
import { openWorkspace } from '../../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../../helpers.ts';

test('run retail on a generated world: KPIs, validation, forecast, spend, segments, registry', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  try {
    const lines: string[] = [];
    const s = await runRetail(ws, { seed: 2, world: { customers: 300, months: 18 }, kRange: [3, 5], log: (l) => lines.push(l) });
    assert.equal(s.source.kind, 'world');
    assert.ok(s.source.rows > 1000);
    for (const st of ['source', 'clean', 'kpis', 'forecast', 'spend', 'segment', 'export', 'track']) {
      const r = s.pipeline.stages.find((x) => x.name === st);
      assert.ok(r && r.status === 'ok' && r.seconds >= 0, `stage ${st} ran and was timed`);
    }
    assert.equal(lines.length, 8, 'one progress line per pipeline stage');
    // a named pipeline run: recorded with its steps (what `tributary pipeline runs retail` lists)
    const state = new PipelineState(ws.store);
    const [pr] = await state.runs('retail');
    assert.equal(pr?.status, 'finished');
    assert.equal(pr.runId, 'run_id' in s.tracking ? s.tracking.run_id : undefined, 'the models are registered under the pipeline run');
    assert.deepEqual((await state.steps(pr.runId)).map((x) => x.step).sort(), ['clean', 'export', 'forecast', 'kpis', 'segment', 'source', 'spend', 'track']);
    assert.match(lines[0]!, /source.*rows/);

    // validation report: each rule's removals plus the kept rows make the input
    const v = Object.fromEntries(s.validation.map((r) => [r.rule, r]));
    const removed = ['cancellation', 'missing_customer', 'non_positive_quantity', 'non_positive_price'].reduce((a, r) => a + v[r]!.rows, 0);
    assert.equal(removed + v.kept!.rows, v.input!.rows);
    assert.ok(v.cancellation!.rows > 0 && v.missing_customer!.rows > 0, 'the world has cancellations and anonymous lines');

    // KPIs against the usual cleaning computed straight from the raw lines
    const [ref] = await ws.wh.query<{ revenue: number; customers: number; invoices: number }>(`
      WITH r AS (SELECT * FROM raw.order_line QUALIFY row_number() OVER (PARTITION BY event_id) = 1)
      SELECT round(sum(quantity * unit_price), 2) AS revenue, count(DISTINCT customer_id)::BIGINT AS customers, count(DISTINCT invoice_no)::BIGINT AS invoices
      FROM r WHERE customer_id IS NOT NULL AND customer_id <> '' AND quantity > 0 AND unit_price > 0 AND NOT starts_with(invoice_no, 'C')`);
    assert.equal(s.kpis.revenue, Number(ref!.revenue));
    assert.equal(s.kpis.customers, Number(ref!.customers));
    assert.equal(s.kpis.invoices, Number(ref!.invoices));
    assert.ok(Math.abs(s.kpis.avg_ticket - Number(ref!.revenue) / Number(ref!.invoices)) < 1e-3);

    // churn: the SQL definition against a count in TypeScript over the clean lines
    const cut = new Date(s.kpis.churn_cutoff);
    const rows = await ws.wh.query<{ customer_id: string; ts: Date }>('SELECT customer_id, ts FROM curated.commerce_lines');
    const before = new Set<string>(), back = new Set<string>();
    for (const r of rows) {
      const t = new Date(r.ts).getTime();
      if (t < cut.getTime()) before.add(r.customer_id);
      else if (t < cut.getTime() + 90 * 86_400_000) back.add(r.customer_id);
    }
    const churned = [...before].filter((c) => !back.has(c)).length;
    assert.ok(Math.abs(s.kpis.churn_rate - churned / before.size) < 1e-4);
    const c30 = await churnRate(ws.wh, { cutoff: cut, days: 30 });
    assert.ok(c30.churn_rate >= s.kpis.churn_rate, 'a shorter horizon cannot churn fewer customers');

    // KPI table: per-month revenue sums to the total; every dimension level is present
    const levels = await ws.wh.query<{ level: string; revenue: number }>('SELECT level, sum(revenue) AS revenue FROM curated.commerce_kpis GROUP BY level');
    const byLevel = Object.fromEntries(levels.map((l) => [l.level, Number(l.revenue)]));
    for (const l of ['all', 'month', 'country', 'category', 'month+country', 'month+category', 'country+category']) assert.ok(l in byLevel, `KPI level ${l}`);
    assert.ok(Math.abs(byLevel.month! - byLevel.all!) < 1e-3 && Math.abs(byLevel.category! - byLevel.all!) < 1e-3);
    const churnSeries = await ws.wh.query<{ level: string; n: number; active: number }>(
      `SELECT level, count(DISTINCT cutoff)::BIGINT AS n, sum(active_customers)::BIGINT AS active FROM ` +
        `curated.commerce_churn WHERE horizon_days = 90 GROUP BY level ORDER BY level`);
    assert.deepEqual(churnSeries.map((r) => r.level), ['all', 'category', 'country']);
    assert.ok(churnSeries.every((r) => Number(r.n) > 3 && Number(r.active) === Number(churnSeries[0]!.active)), 'every level splits the same active customers');

    // forecast: every model scored by the backtest, forecast vs actual in the lake
    for (const g of ['month', 'week'] as const) {
      const f = s.forecast[g];
      for (const m of ['seasonal_naive', 'linear', 'random_forest', 'boosting'] as const) {
        assert.ok(Number.isFinite(f.models[m].rmse) && Number.isFinite(f.models[m].mae) && Number.isFinite(f.models[m].mape), `${g} ${m} metrics`);
        assert.ok(f.models[m].folds >= 1);
        assert.ok(Number.isFinite(f.next.forecast[m]));
      }
      assert.ok(f.models[f.best].rmse <= Math.min(...Object.values(f.models).map((x) => x.rmse)));
    }
    const fc = await ws.wh.query<{ granularity: string; kind: string; n: number; actual_null: number }>(
      `SELECT granularity, kind, count(*)::BIGINT AS n, count(*) FILTER (WHERE actual IS NULL)::BIGINT AS actual_null ` +
        `FROM ${FORECAST_TABLE} GROUP BY ALL ORDER BY ALL`);
    assert.deepEqual(fc.map((r) => `${r.granularity}/${r.kind}`), ['month/backtest', 'month/future', 'week/backtest', 'week/future']);
    assert.ok(fc.every((r) => r.kind === 'backtest' ? Number(r.actual_null) === 0 : Number(r.n) === 4 && Number(r.actual_null) === 4));

    // spend: three models and the baseline scored on the same customers
    assert.ok(s.spend.test_customers > 20 && s.spend.train_cutoffs.length >= 2);
    assert.equal(s.spend.beats_baseline, s.spend.models[s.spend.best].rmse < s.spend.models.baseline_last_90d.rmse);
    for (const m of ['linear', 'random_forest', 'boosting', 'baseline_last_90d'] as const) assert.ok(Number.isFinite(s.spend.models[m].r2));

    // segments: chosen by silhouette, profiles cover every customer, projections stored
    assert.ok(s.segments.k >= 3 && s.segments.k <= 5);
    assert.equal(s.segments.silhouette, Math.max(...s.segments.scan.map((x) => x.silhouette)));
    assert.ok(s.segments.scan.some((x) => x.k === s.segments.elbow_k), 'the elbow is one of the scanned k');
    assert.ok(s.segments.scan.every((x, i) => i === 0 || x.inertia <= s.segments.scan[i - 1]!.inertia * 1.001), 'inertia falls with k');
    assert.equal(s.segments.profiles.reduce((a, p) => a + p.size, 0), s.kpis.customers);
    assert.ok(Math.abs(s.segments.profiles.reduce((a, p) => a + p.revenue_share, 0) - 1) < 1e-9);
    assert.equal(new Set(s.segments.profiles.map((p) => p.name)).size, s.segments.k, 'segment names are distinct');
    const [seg] = await ws.wh.query<{ n: number; pca: number; tsne: number }>(
      `SELECT count(*)::BIGINT AS n, count(pca3_z)::BIGINT AS pca, count(tsne_x)::BIGINT AS tsne FROM ${SEGMENTS_TABLE}`);
    assert.equal(Number(seg!.n), s.kpis.customers);
    assert.equal(Number(seg!.pca), s.kpis.customers);
    assert.ok(Number(seg!.tsne) > 0);
    const scans = await ws.wh.query<{ features: string; n: number; chosen: number }>(
      `SELECT features, count(*)::BIGINT AS n, count(*) FILTER (WHERE chosen)::BIGINT AS chosen FROM ${SCAN_TABLE} GROUP BY 1 ORDER BY 1`);
    assert.deepEqual(scans.map((x) => [x.features, Number(x.n), Number(x.chosen)]), [['rfm', 3, 1], ['rfm+mix', 3, 1]]);

    // registry: both models with lineage to lake snapshots; loaded back as the API loads them
    assert.ok('run_id' in s.tracking);
    const registry = new ModelRegistry(ws.store, { home: ws.config.home });
    const sv = await registry.getVersion('retail-segments', 'champion');
    assert.ok(sv.lineage.snapshots.some((x) => x.table === 'curated.commerce_lines' && x.snapshot >= 1));
    assert.equal(sv.lineage.runId, s.tracking.run_id);
    // loaded back as the API loads them (src/serving/servables.ts)
    const model = SegmentModel.fromJSON((await registry.loadModel('retail-segments', 'champion')).artifact);
    const matchSegment = (m: SegmentModel, req: { customer_id?: string; profile?: CustomerProfile; k?: number }) => {
      if ((req.customer_id === undefined) === (req.profile === undefined)) throw new Error('give exactly one of customer_id or profile');
      return req.customer_id !== undefined ? m.matchCustomer(req.customer_id, req.k ?? 5) : m.matchProfile(req.profile!, req.k ?? 5);
    };
    const stored = await ws.wh.query<{ customer_id: string; segment: number }>(`SELECT customer_id, segment ` +
      `FROM ${SEGMENTS_TABLE} ORDER BY customer_id LIMIT 3`);
    for (const r of stored) {
      const m = matchSegment(model, { customer_id: r.customer_id, k: 4 });
      assert.equal(m.segment, Number(r.segment));
      assert.equal(m.similar.length, 4);
      assert.ok(m.similar.every((x) => x.customer_id !== r.customer_id));
      assert.ok(m.similar.every((x, i) => i === 0 || x.distance >= m.similar[i - 1]!.distance));
    }
    // a new profile built from a known customer's raw RFM and category shares lands on that
    // customer (distance 0) and in its segment: profiles are featurised exactly as training rows
    const [top] = await ws.wh.query<{ customer_id: string; segment: number; recency: number; frequency: number; monetary: number }>(
      `SELECT customer_id, segment, recency, frequency, monetary FROM ${SEGMENTS_TABLE} ORDER BY monetary DESC LIMIT 1`);
    const mixRows = await ws.wh.query<{ category: string; share: number }>(`
      SELECT category, sum(revenue) / sum(sum(revenue)) OVER () AS share FROM curated.commerce_lines
      WHERE is_product AND customer_id = '${top!.customer_id}' GROUP BY category`);
    const hi = matchSegment(model, {
      profile: {
        recency: Number(top!.recency),
        frequency: Number(top!.frequency),
        monetary: Number(top!.monetary),
        mix: Object.fromEntries(mixRows.map((r) => [r.category, Number(r.share)])),
      },
      k: 3,
    });
    assert.equal(hi.similar.length, 3);
    assert.equal(hi.similar[0]!.customer_id, top!.customer_id);
    assert.ok(hi.similar[0]!.distance < 1e-9);
    assert.equal(hi.segment, Number(top!.segment));
    const topProfile = s.segments.profiles[Number(top!.segment)]!;
    assert.equal(topProfile.mean_monetary, Math.max(...s.segments.profiles.map((p) => p.mean_monetary)), 'the biggest spender is in the highest-value segment');
    assert.throws(() => matchSegment(model, { profile: { recency: -1, frequency: 1, monetary: 1 } }), /recency/);
    assert.throws(() => matchSegment(model, {}), /exactly one/);

    const spendAlias = s.spend.beats_baseline ? 'champion' : 'challenger';
    const spend = buildServable(await registry.loadModel('retail-spend', spendAlias));
    assert.equal(spend.type, 'spend');
    if (spend.type === 'spend') {
      const row = Object.fromEntries(spend.features.map((f) => [f, 0])) as Record<string, number>;
      Object.assign(row, { recency_days: 5, frequency: 20, monetary: 20_000, tenure_days: 300, last_90d_spend: 5000, last_90d_invoices: 6 });
      const [p] = spend.predictor.predict([Object.fromEntries(spend.features.map((f) => [f, row[f] ?? 0]))]).predictions as number[];
      assert.ok(Number.isFinite(p) && p! >= 0);
    }

    const j = jsonSummary(s) as {
      kpis: Record<string, number>;
      segments: { k: number; silhouette: number; profiles: unknown[] };
      forecast: unknown;
      spend: unknown;
    };
    for (const key of ['revenue', 'customers', 'invoices', 'avg_ticket', 'churn_rate']) assert.equal(typeof j.kpis[key], 'number');
    assert.equal(j.segments.k, s.segments.k);
    assert.ok(j.forecast && j.spend);
  } finally {
    await ws.close();
    cleanup();
  }
});
