// Monitoring on what was served, and on the exact training snapshot:
// - a `tributary train --register` model on a lake table is watched like the product models: the
//   rows it answered over HTTP (the audit log) against its training snapshot (no alert when they
//   come from the same world, a drift alert when a feature moves); the rows the table gained
//   since carry labels, so its live error is measured, and a breach triggers its gated
//   retraining, which promotes the challenger fitted on the newest snapshot;
// - retail-spend's reference is computed from the sales lines at its training run's snapshot:
//   late data landing afterwards (orders dated before its cutoff) does not move it;
// - the rows a table gained since the training snapshot are read with the lake's deletes on read:
//   rows a later merge deleted are not measured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config/index.ts';
import { Rng } from '../../src/ml/core/rng.ts';
import { retailWorld } from '../../src/events/generators/retail.ts';
import { listAlerts } from '../../src/monitoring/alerts.ts';
import { closeThreadPool } from '../../src/util/thread-pool.ts';
import { runMonitor } from '../../src/monitoring/monitor.ts';
import { runRetail } from '../../src/pipeline/retail.ts';
import { trainTracked } from '../../src/pipeline/train.ts';
import { startServer } from '../../src/serving/server.ts';
import { ModelRegistry } from '../../src/tracking/index.ts';
import { ingestFile } from '../../src/warehouse/ingest.ts';
import { mergeRows } from '../../src/lake/merge.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';
import { landEvents } from '../fixtures/worlds.ts';

test.after(() => closeThreadPool());

function smallSampleConfig(home: string): Config {
  const c = testConfig(home);
  return { ...c, port: 0, monitoring: { ...c.monitoring, psiWarning: 0.25, psiCritical: 0.4, ksWarning: 0.3, minRows: 200 } };
}

interface House { size: number; rooms: number; city: string; price: number }

/** price = 3 size + 20 rooms + city premium + noise; `shift` moves the sizes, `premium` every price */
function houses(n: number, seed: number, o: { shift?: number; premium?: number } = {}): House[] {
  const rng = new Rng(seed);
  const cities = ['north', 'south', 'east'];
  return Array.from({ length: n }, () => {
    const size = 50 + 100 * rng.random() + (o.shift ?? 0), rooms = 1 + Math.floor(5 * rng.random()), city = cities[Math.floor(3 * rng.random())]!;
    return { size, rooms, city, price: 3 * size + 20 * rooms + (city === 'north' ? 50 : 0) + (o.premium ?? 0) + 10 * (rng.random() - 0.5) };
  });
}

/** Writes the rows as a CSV in the home and ingests it into raw.houses. */
async function ingestRows(config: Config, rows: House[], name: string): Promise<void> {
  const file = join(config.home, `${name}.csv`);
  writeFileSync(file, ['size,rooms,city,price', ...rows.map((r) => `${r.size},${r.rooms},${r.city},${r.price}`)].join('\n') + '\n');
  const ws = await openWorkspace({ config });
  try { await ingestFile(ws.wh, file, { table: 'raw.houses' }); } finally { await ws.close(); }
}

/** 1,500 houses in raw.houses, and a linear model of their price trained on it and registered as `houses` (v1) */
async function trainHouses(config: Config): ReturnType<typeof trainTracked> {
  await ingestRows(config, houses(1500, 1), 'first');
  const train = { task: 'regression', target: 'price', model: 'linear', seed: 1 } as const;
  return trainTracked(config, { train, data: 'lake:raw.houses', register: 'houses', by: 'tester' });
}

async function serve(config: Config, rows: House[]): Promise<void> {
  const server = await startServer(config);
  try {
    const body = { rows: rows.map(({ size, rooms, city }) => ({ size, rooms, city })) };
    const r = await fetch(`${server.url}/v1/predict/houses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 200, await r.text());
  } finally { await server.close(); }
}

test('a train --register model: served rows vs its training snapshot, live error on new labelled rows, gated retraining', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const config = smallSampleConfig(home);
  try {
    const trained = await trainHouses(config);
    assert.equal(trained.registered?.version, 1);

    // 300 rows of the same world answered over HTTP: compared with the snapshot, no alert
    await serve(config, houses(300, 2));
    let ws = await openWorkspace({ config });
    try {
      const report = await runMonitor(ws, { models: ['houses'] });
      const m = report.models[0]!;
      assert.equal(m.skipped, null);
      assert.match(String(m.window.reference), /^raw\.houses@\d+ \(1500 rows\)$/);
      assert.match(String(m.window.current), /^300 served rows/);
      assert.deepEqual(m.features.map((f) => [f.feature, f.n_ref, f.n_cur]), [['size', 1500, 300], ['rooms', 1500, 300], ['city', 1500, 300]]);
      assert.deepEqual(m.alerts, [], `no alert: ${m.features.map((f) => `${f.feature} ${f.psi.toFixed(3)}`).join(', ')}`);
    } finally { await ws.close(); }

    // 300 more with the sizes moved up: the served sizes drift
    await serve(config, houses(300, 3, { shift: 80 }));
    ws = await openWorkspace({ config });
    try {
      const m = (await runMonitor(ws, { models: ['houses'] })).models[0]!;
      assert.equal(m.features[0]!.n_cur, 600);
      assert.ok(m.alerts.some((a) => a.kind === 'data_drift' && a.subject === 'size' && a.severity === 'critical'), `size PSI ${m.features[0]!.psi}`);
      assert.ok(!m.alerts.some((a) => a.subject === 'rooms' || a.subject === 'city'), 'the features that did not move raise nothing');
      assert.ok(m.prediction && m.prediction.n_cur === 600 && m.prediction.psi > 0.25, 'the served predictions moved with them');
    } finally { await ws.close(); }

    // the table gains 1000 labelled rows where every price is 200 higher: the live error breaches,
    // the retraining it triggers fits the newest snapshot and wins on the same holdout
    await ingestRows(config, houses(1000, 4, { premium: 200 }), 'later');
    ws = await openWorkspace({ config });
    try {
      const m = (await runMonitor(ws, { models: ['houses'], retrain: true, seed: 1 })).models[0]!;
      const q = m.quality.find((x) => x.metric === 'rmse_ratio')!;
      assert.ok(q.breached && q.n === 1000, `live RMSE ratio ${q.value} on ${q.n} rows`);
      assert.ok((await listAlerts(ws.store, { model: 'houses' })).some((a) => a.kind === 'quality' && a.subject === 'rmse_ratio'));
      assert.ok(m.retrain?.decision.promote, m.retrain?.decision.reason);
      const champion = await new ModelRegistry(ws.store, { home }).getVersion('houses', 'champion');
      assert.equal(champion.version, m.retrain.challenger_version);
      assert.ok(
        champion.lineage.snapshots.some((s) => s.table === 'raw.houses' && s.snapshot > trained.snapshots[0]!.snapshot),
        'trained on the newer snapshot',
      );
    } finally { await ws.close(); }
  } finally { cleanup(); }
});

test('retail-spend: the reference comes from the training snapshot, not from what the lake holds now', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: smallSampleConfig(home) });
  try {
    const world = retailWorld({ seed: 4, customers: 300, products: 60, months: 24 });
    const events = [...world.events()] as { ts: string; customer_id?: string }[];
    const split = Date.parse('2026-01-01T00:00:00Z');
    // a tenth of the customers' orders arrive late: after the model was trained, dated before its cutoff
    const late = (e: { customer_id?: string }) => Number(e.customer_id ?? 0) % 10 === 3;
    await landEvents(ws, events.filter((e) => Date.parse(e.ts) < split && !late(e)));
    await runRetail(ws, { fromLake: true, seed: 1, kRange: [3, 5], log: () => {} });
    const before = (await runMonitor(ws, { models: ['retail-spend'], record: false })).models[0]!;
    assert.equal(before.skipped, null);
    const snap = (await new ModelRegistry(ws.store, { home }).loadModel('retail-spend')).lineage.snapshots.find((s) => s.table === 'curated.commerce_lines')!;
    assert.equal(before.window.reference_snapshot, `curated.commerce_lines@${snap.snapshot}`);

    await landEvents(ws, events.filter((e) => Date.parse(e.ts) < split && late(e)));
    const after = (await runMonitor(ws, { models: ['retail-spend'], record: false })).models[0]!;
    assert.ok(after.features[0]!.n_cur > before.features[0]!.n_cur, 'the late customers are current data now');
    assert.deepEqual(after.features.map((f) => [f.feature, f.n_ref]), before.features.map((f) => [f.feature, f.n_ref]), 'the reference did not move');
  } finally { await ws.close(); cleanup(); }
});

test('a train --register model: rows added since its snapshot and then deleted on read by a merge are not measured', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const config = smallSampleConfig(home);
  try {
    const trained = await trainHouses(config);
    const snap = trained.snapshots[0]!.snapshot;
    // 540 rows of the same world and 60 mislabelled ones (price 5,000 too high) land in one file;
    // a merge then deletes the 60 by position: a delete file, the data file kept
    await ingestRows(config, [...houses(540, 5), ...houses(60, 6, { premium: 5000 })], 'later');
    const ws = await openWorkspace({ config });
    try {
      const { lake } = ws, conn = lake.conn, T = 'raw.houses';
      const read = (await lake.readSql(T, undefined, { fileColumn: 'f', rowColumn: 'pos' }))!;
      await conn.run(`CREATE TEMP TABLE bad AS SELECT * FROM (${read}) WHERE price > 2500`);
      await conn.run(`CREATE TEMP TABLE bad_rows AS SELECT * EXCLUDE (f, pos) FROM bad`);
      await conn.run(`CREATE TEMP TABLE bad_pos AS SELECT f, pos FROM bad`);
      await conn.run(`CREATE TEMP TABLE none AS SELECT * FROM bad_rows WHERE false`);
      const r = await mergeRows(lake, conn, T, { key: ['size', 'rooms', 'city'], deleted: 'bad_rows', inserted: 'none', positions: 'bad_pos' });
      assert.equal(r.deleteFiles, 1, 'the 60 rows are deleted on read');
      assert.equal(r.filesRemoved, 0);

      const m = (await runMonitor(ws, { models: ['houses'], record: false })).models[0]!;
      assert.equal(m.window.current, `540 rows added to raw.houses since snapshot ${snap}`);
      assert.deepEqual(m.features.map((f) => [f.feature, f.n_cur]), [['size', 540], ['rooms', 540], ['city', 540]]);
      const q = m.quality.find((x) => x.metric === 'rmse_ratio')!;
      assert.equal(q.n, 540);
      assert.ok(!q.breached && q.value < 1.5, `live RMSE ratio ${q.value}: the deleted mislabelled rows were not measured`);
    } finally { await ws.close(); }
  } finally { cleanup(); }
});
