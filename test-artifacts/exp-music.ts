import { musicWorld } from '../src/events/generators/music.ts';
import { runMusic } from '../src/analytics/music/pipeline.ts';
import { openWorkspace } from '../src/warehouse/workspace.ts';
import { ingestFile } from '../src/warehouse/ingest.ts';
import { buildModels } from '../src/warehouse/models.ts';
import { runMonitor } from '../src/monitoring/monitor.ts';
import { testConfig, tmpHome } from '../test/helpers.ts';
import { closeDriftPool } from '../src/monitoring/drift-pool.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

for (const shifted of [true, false]) {
  const { home, cleanup } = tmpHome();
  const config = { ...testConfig(home), monitoring: { ...testConfig(home).monitoring, psiWarning: 0.25, psiCritical: 0.4, ksWarning: 0.3, minRows: 50 } };
  const ws = await openWorkspace({ config });
  const opts = { seed: 7, users: 80, tracks: 300, days: 21 };
  const w = musicWorld(opts);
  const put = async (evs: any[]) => { for (let k = 0; k < evs.length; k += 5000) await ws.lake.append(evs.slice(k, k + 5000).map((e) => ({ table: `raw.${e.type}`, dt: e.ts.slice(0, 10), json: JSON.stringify(e) }))); await ws.lake.flush(); await ws.wh.refresh(); };
  await put([...w.events()]);
  for (const [name, rows] of Object.entries(w.dimensions())) { const f = join(home, `${name}.ndjson`); writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n'); await ingestFile(ws.wh, f, { table: `raw.${name}` }); }
  await ws.wh.refresh();
  await buildModels(ws.wh);
  let t = performance.now();
  const m = await runMusic(ws, { seed: 1, models: ['popularity', 'als', 'ease'], tune: false });
  console.log('music', (performance.now() - t) / 1000, m.chosen.model);
  const next = musicWorld({ ...opts, start: w.end, days: 14, stream: 1, ...(shifted ? { tasteShift: { from: w.end } } : {}) });
  await put([...next.events()]);
  t = performance.now();
  const r = await runMonitor(ws, { models: ['music-recommender'], record: false, retrain: true, log: (l) => console.log(l) });
  console.log('monitor', (performance.now() - t) / 1000);
  await ws.close(); cleanup();
}
await closeDriftPool();
