import { retailWorld } from '../src/events/generators/retail.ts';
import { runRetail } from '../src/analytics/retail/pipeline.ts';
import { openWorkspace } from '../src/warehouse/workspace.ts';
import { runMonitor } from '../src/monitoring/monitor.ts';
import { testConfig, tmpHome } from '../test/helpers.ts';
import { closeDriftPool } from '../src/monitoring/drift-pool.ts';

for (const shifted of [true, false]) {
  const { home, cleanup } = tmpHome();
  const config = { ...testConfig(home), monitoring: { ...testConfig(home).monitoring, psiWarning: 0.25, psiCritical: 0.4, ksWarning: 0.3, minRows: 50 } };
  const ws = await openWorkspace({ config });
  const split = Date.parse('2026-01-01T00:00:00Z');
  const world = retailWorld({ seed: 4, customers: 300, products: 60, months: 24, ...(shifted ? { spendShift: { from: '2025-12-01T00:00:00Z', factor: 3 } } : {}) });
  const all = [...world.events()];
  const put = async (evs: typeof all) => { for (let k = 0; k < evs.length; k += 5000) await ws.lake.append(evs.slice(k, k + 5000).map((e) => ({ table: 'raw.order_line', dt: e.ts.slice(0, 10), json: JSON.stringify(e) }))); await ws.lake.flush(); await ws.wh.refresh(); };
  await put(all.filter((e) => Date.parse(e.ts) < split));
  let t = performance.now();
  await runRetail(ws, { fromLake: true, seed: 1, kRange: [3, 5], log: () => {} });
  console.log('retail', (performance.now() - t) / 1000);
  await put(all.filter((e) => Date.parse(e.ts) >= split));
  t = performance.now();
  const r = await runMonitor({ ...ws }, { record: false, retrain: true, log: (l) => console.log(l) });
  console.log('monitor', (performance.now() - t) / 1000);
  for (const m of r.models) console.log(shifted, m.model, m.skipped, JSON.stringify(m.features.map((f) => [f.feature, +f.psi.toFixed(3), +f.ks.toFixed(3), f.verdict])), m.prediction && [m.prediction.psi, m.prediction.ks], JSON.stringify(m.quality), m.retrain?.decision.reason);
  await ws.close(); cleanup();
}
await closeDriftPool();
