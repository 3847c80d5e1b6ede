// A build's compaction step vacuums the lake (src/lake/vacuum.ts) at most once per quarter of
// vacuum's grace period: vacuum walks every file of the lake, and what it may remove has waited
// an hour already. The first build after the quarter vacuums again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMetaStore } from '../../src/metadata/db.ts';
import { Lake } from '../../src/lake/lake.ts';
import { VACUUM_EVERY_MS, vacuumIfDue } from '../../src/pipeline/build.ts';
import { tmpHome } from '../helpers.ts';

const schemas = { 'raw.play': { event_id: 'VARCHAR', ts: 'TIMESTAMPTZ' } };

test('a build vacuums at most once per quarter of the grace period', async () => {
  const { home, cleanup } = tmpHome();
  const store = await openMetaStore({ home });
  const lake = await Lake.open({ home, store, schemas });
  try {
    await lake.append([{ table: 'raw.play', dt: '2026-11-23', json: JSON.stringify({ event_id: 'e1', ts: '2026-11-23T10:00:00Z' }) }]);
    await lake.flush();
    const part = join(lake.root, 'raw', 'play', 'dt=2026-11-23');
    // what a killed write leaves: a file no snapshot lists, two hours old
    const orphan = (name: string) => {
      const p = join(part, name);
      writeFileSync(p, 'x');
      const t = new Date(Date.now() - 2 * 3600_000);
      utimesSync(p, t, t);
      return p;
    };
    const a = orphan('killed-a.parquet');
    const now = Date.now();
    assert.equal((await vacuumIfDue(lake, home, now))?.files, 1, 'the first build vacuums');
    assert.equal(existsSync(a), false);
    const b = orphan('killed-b.parquet');
    assert.equal(await vacuumIfDue(lake, home, now + VACUUM_EVERY_MS - 1000), null, 'a build within the quarter does not');
    assert.equal(existsSync(b), true);
    assert.equal((await vacuumIfDue(lake, home, now + VACUUM_EVERY_MS + 1000))?.files, 1, 'the first build after it does');
    assert.equal(existsSync(b), false);
  } finally {
    await lake.close(); await store.close(); cleanup();
  }
});
