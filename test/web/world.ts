// A small demo-like world for the dashboard's tests and benchmark: the product's own generators
// (a music world through the collector's validation into the lake, a retail world) and its own
// pipelines (SQL models, the music recommender with playlists, the sales analytics), so every
// dashboard page has real tables, runs and registered models to show. Small, to stay quick.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config/index.ts';
import { musicWorld } from '../../src/events/generators/music.ts';
import { validateBatch } from '../../src/events/validate.ts';
import { runMusic } from '../../src/pipeline/music.ts';
import { runRetail } from '../../src/pipeline/retail.ts';
import { buildModels } from '../../src/warehouse/models.ts';
import { ingestFile } from '../../src/warehouse/ingest.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';

export async function buildDashboardWorld(config: Config, opts: { users?: number; tracks?: number; days?: number; customers?: number; months?: number; seed?: number } = {}): Promise<void> {
  const seed = opts.seed ?? 7;
  const ws = await openWorkspace({ config });
  try {
    const music = musicWorld({ seed, users: opts.users ?? 60, tracks: opts.tracks ?? 240, days: opts.days ?? 21 });
    const events = [...music.events()].map((value) => ({ value, raw: '' }));
    for (let i = 0; i < events.length; i += 5000) await ws.lake.append(validateBatch(events.slice(i, i + 5000), 'test').records);
    const dir = join(config.home, 'dims');
    mkdirSync(dir, { recursive: true });
    for (const [name, rows] of Object.entries(music.dimensions())) {
      const file = join(dir, `${name}.ndjson`);
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      await ingestFile(ws.wh, file, { table: `raw.${name}` });
    }
    await ws.lake.flush();
    await ws.wh.refresh();
    await buildModels(ws.wh);
    await runMusic(ws, { seed, models: ['popularity', 'als'], tune: false, build: false });
    // the playlists were logged as recommendation_shown events: the acceptance tables read them
    await buildModels(ws.wh, { only: ['curated.music_shown_tracks', 'curated.music_acceptance_daily', 'curated.music_acceptance'] });
    await runRetail(ws, { seed, world: { customers: opts.customers ?? 120, months: opts.months ?? 14 }, kRange: [3, 4] });
  } finally {
    await ws.close();
  }
}
