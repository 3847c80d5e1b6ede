// The dt= folder is a column only where it says something: a raw table's event day. A curated
// table written whole sits in one `dt=all` folder; reading that folder as a column gave every
// curated table a `dt` of 'all' and, worse, hid the event day the event tables (skips, likes,
// searches) carry in their own files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { buildPipeline } from '../../src/pipeline/build.ts';
import { executePipeline } from '../../src/pipeline/execute.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { tmpHome } from '../helpers.ts';
import { landDimensions, landEvents, worldEvents } from '../fixtures/worlds.ts';

test('curated tables: an event table\'s dt is its rows\' event day, and a table without one has no dt column', async () => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: loadConfig({ home }) });
  try {
    const world = worldEvents({ users: 30, tracks: 80, days: 4, customers: 30, products: 15, months: 2, seed: 11 });
    await landDimensions(ws, world.dims);
    await landEvents(ws, [...world.music, ...world.retail]);
    await executePipeline(ws, buildPipeline, { log: () => {} });
    const days = async (sql: string) => (await ws.wh.query<{ d: string }>(`SELECT DISTINCT CAST(dt AS VARCHAR) AS d FROM (${sql}) ORDER BY 1`)).map((r) => r.d);
    const raw = await days('SELECT dt FROM raw.skip');
    assert.ok(raw.length >= 4 && !raw.includes('all'), raw.join(', '));
    assert.deepEqual(await days('SELECT dt FROM curated.skips'), raw, 'curated.skips keeps each skip\'s day');
    for (const t of ['curated.orders', 'curated.customers', 'curated.plays', 'curated.music_interactions']) {
      const cols = (await ws.wh.query<{ column_name: string }>(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${t})`)).map((c) => c.column_name);
      assert.ok(!cols.includes('dt'), `${t}: ${cols.join(', ')}`);
    }
  } finally {
    await ws.close();
    cleanup();
  }
});
