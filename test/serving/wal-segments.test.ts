// The collector's write-ahead segment size from the configuration (walSegmentBytes, env
// TRIBUTARY_WAL_SEGMENT_BYTES): a segment is sealed once it holds that many bytes, and each sealed
// segment becomes its own Parquet file per table and day, so a day that arrives over several
// POSTs lands as several files, which the lake's compaction then merges into one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.ts';
import { compactTable } from '../../src/lake/compaction.ts';
import { startServer } from '../../src/serving/server.ts';
import { Warehouse } from '../../src/warehouse/session.ts';
import { sourceSchemas } from '../../src/warehouse/sources.ts';
import { testConfig, tmpHome } from '../helpers.ts';

test('walSegmentBytes and walSegmentMs come from the environment, and bad values are named', () => {
  const c = loadConfig({ home: '/tmp/x' }, { TRIBUTARY_WAL_SEGMENT_BYTES: '65536', TRIBUTARY_WAL_SEGMENT_MS: '250' });
  assert.equal(c.walSegmentBytes, 65536);
  assert.equal(c.walSegmentMs, 250);
  assert.equal(loadConfig({ home: '/tmp/x' }, {}).walSegmentBytes, undefined, 'unset: the write-ahead log\'s own default (64 MB)');
  assert.throws(() => loadConfig({ home: '/tmp/x' }, { TRIBUTARY_WAL_SEGMENT_BYTES: 'lots' }), /walSegmentBytes/);
  assert.throws(() => loadConfig({ home: '/tmp/x' }, { TRIBUTARY_WAL_SEGMENT_MS: '0' }), /walSegmentMs/);
});

test('a small segment size: one day sent in four POSTs lands as four files, and compaction merges them', async (t) => {
  const { home, cleanup } = tmpHome();
  const server = await startServer(testConfig(home, { walSegmentBytes: 4096 }));
  t.after(async () => { await server.close(); cleanup(); });
  for (let batch = 0; batch < 4; batch++) {
    // ~60 events of ~150 bytes: more than a segment, so each POST seals one
    const events = Array.from({ length: 60 }, (_, i) => ({
      event_id: `e-${batch}-${i}`, type: 'play', ts: `2026-11-23T${String(10 + batch).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')}Z`,
      user_id: `u${i}`, track_id: 't9', ms_played: 1000 * i, duration_ms: 200000,
    }));
    const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
    assert.equal(res.status, 200);
  }
  await server.ctx.lake.flush();
  const files = () => server.ctx.lake.catalog.filesWithDeletes('raw.play').then((f) => f.files);
  const landed = await files();
  assert.equal(landed.length, 4, 'a file per sealed segment');
  assert.ok(landed.every((f) => f.partition === 'dt=2026-11-23'));
  const r = await compactTable(server.ctx.lake, 'raw.play', { targetFileBytes: 8 << 20, minFiles: 4 });
  assert.deepEqual([r.filesBefore, r.filesAfter, r.partitions], [4, 1, 1]);
  const wh = await Warehouse.open({ lake: server.ctx.lake, schemas: sourceSchemas() });
  try {
    const [n] = await wh.query<{ n: number }>('SELECT count(DISTINCT event_id)::INT AS n FROM raw.play');
    assert.equal(n!.n, 240, 'every event kept through compaction');
  } finally { await wh.close(); }
});
