// A small demo-like world for the dashboard's tests and benchmark: the product's own generators
// (a music world through the collector's validation into the lake, a retail world) and its own
// pipelines (SQL models, the music recommender with playlists, the sales analytics), so every
// dashboard page has real tables, runs and registered models to show. Small, to stay quick.
import type { Config } from '../../src/config/index.ts';
import { musicWorld } from '../../src/events/generators/music.ts';
import { buildPipeline } from '../../src/pipeline/build.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { runMusic } from '../../src/pipeline/music.ts';
import { runRetail } from '../../src/pipeline/retail.ts';
import { buildModels } from '../../src/warehouse/models.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { landDimensions, landEvents } from '../fixtures/worlds.ts';

export async function buildDashboardWorld(
  config: Config,
  opts: { users?: number; tracks?: number; days?: number; customers?: number; months?: number; seed?: number } = {},
): Promise<void> {
  const seed = opts.seed ?? 7;
  const ws = await openWorkspace({ config });
  try {
    const music = musicWorld({ seed, users: opts.users ?? 60, tracks: opts.tracks ?? 240, days: opts.days ?? 21 });
    await landEvents(ws, [...music.events()]);
    await landDimensions(ws, music.dimensions());
    // the warehouse as a user builds it: the build pipeline, a tracked dataflow run for the Pipelines page
    await executePipeline(ws, buildPipeline, { log: () => {} });
    await runMusic(ws, { seed, models: ['popularity', 'als'], tune: false, build: false });
    // the playlists were logged as recommendation_shown events: the acceptance tables read them
    await buildModels(ws.wh, { only: ['curated.music_shown_tracks', 'curated.music_acceptance_daily', 'curated.music_acceptance'] });
    await runRetail(ws, { seed, world: { customers: opts.customers ?? 120, months: opts.months ?? 14 }, kRange: [3, 4] });
  } finally {
    await ws.close();
  }
}
