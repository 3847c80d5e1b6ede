// Issue 13: `lake vacuum` removes what killed runs leave behind (a written, never committed
// Parquet file; a staging folder) once older than the grace period, and never a file any
// snapshot references: live files and files retired by compaction (old snapshots) stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openMetaStore } from '../../src/metadata/db.ts';
import { Lake } from '../../src/lake/lake.ts';
import { compactTable } from '../../src/lake/compaction.ts';
import { vacuumLake } from '../../src/lake/vacuum.ts';
import { checkLake } from '../../src/lake/check.ts';
import { sqlString } from '../../src/lake/duck.ts';
import { tmpHome } from '../helpers.ts';

const schemas = { 'raw.play': { event_id: 'VARCHAR', ts: 'TIMESTAMPTZ', user_id: 'VARCHAR', ms_played: 'BIGINT' } };
const plays = (from: number, n: number) => Array.from({ length: n }, (_, k) => ({
  table: 'raw.play',
  dt: '2026-11-23',
  json: JSON.stringify({ event_id: `e${from + k}`, ts: '2026-11-23T10:00:00Z', user_id: 'u1', ms_played: k }),
}));
const hoursAgo = (path: string, h: number) => { const t = new Date(Date.now() - h * 3600_000); utimesSync(path, t, t); };

test('vacuum removes orphans of killed runs, keeps every referenced file', async () => {
  const { home, cleanup } = tmpHome();
  const store = await openMetaStore({ home });
  const lake = await Lake.open({ home, store, schemas });
  try {
    for (let i = 0; i < 4; i++) { await lake.append(plays(i * 10, 10)); await lake.flush(); }
    const beforeCompaction = await lake.filePaths('raw.play');
    const snap = await lake.catalog.currentSnapshot('raw.play');
    await compactTable(lake, 'raw.play', { minFiles: 2 });
    const live = await lake.filePaths('raw.play');
    assert.notDeepEqual(live, beforeCompaction);

    // what a compaction killed after writing and before committing leaves: a real Parquet file
    // in the partition, referenced by no snapshot; and a killed build's staging folder
    const part = join(lake.root, 'raw', 'play', 'dt=2026-11-23');
    const orphan = join(part, 'compact-killed-1.parquet');
    await lake.conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(live[0]!)})) TO ${sqlString(orphan)} (FORMAT PARQUET)`);
    hoursAgo(orphan, 2);
    const fresh = join(part, 'compact-inflight-2.parquet');
    await lake.conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(live[0]!)})) TO ${sqlString(fresh)} (FORMAT PARQUET)`);
    const stage = join(home, 'staging', 'q-killed-build-7');
    mkdirSync(join(stage, 'dt=all'), { recursive: true });
    writeFileSync(join(stage, 'dt=all', 'part.parquet'), 'partial');
    hoursAgo(stage, 2);
    const orphanDir = join(lake.root, 'curated', 'gone', 'dt=all');
    mkdirSync(orphanDir, { recursive: true });
    writeFileSync(join(orphanDir, 'part-x.parquet'), 'x');
    hoursAgo(join(orphanDir, 'part-x.parquet'), 2); hoursAgo(orphanDir, 2); hoursAgo(join(lake.root, 'curated', 'gone'), 2);

    const dry = await vacuumLake(lake, { dryRun: true });
    assert.equal(dry.files, 2);
    assert.ok(existsSync(orphan), 'a dry run removes nothing');

    const r = await vacuumLake(lake);
    assert.equal(r.files, 2, 'the old orphans');
    assert.equal(r.staging, 1);
    assert.equal(r.young, 1, 'the recent one may be a write in progress: kept');
    assert.ok(!existsSync(orphan) && !existsSync(stage) && !existsSync(join(lake.root, 'curated', 'gone')));
    assert.ok(existsSync(fresh));
    for (const f of [...live, ...beforeCompaction]) assert.ok(existsSync(f), `referenced file kept: ${f}`);
    // the pre-compaction snapshot still reads
    const old = await lake.filePaths('raw.play', snap);
    const n = (await lake.conn.runAndReadAll(`SELECT count(*)::INT AS n FROM read_parquet([${old.map(sqlString).join(',')}])`)).getRowObjectsJS()[0]!.n;
    assert.equal(n, 40);
    assert.deepEqual((await checkLake(lake)).problems, []);
    // with no grace period the recent orphan goes too
    assert.equal((await vacuumLake(lake, { minAgeMs: 0 })).files, 1);
  } finally { await lake.close(); await store.close(); cleanup(); }
});
