// The lake catalog on both metadata back-ends: snapshots, pinned reads, exactly-once segment
// commits, compaction, and concurrent committers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMetaStore } from '../../src/metadata/db.ts';
import { Lake } from '../../src/lake/lake.ts';
import { Catalog, SegmentAlreadyCommitted } from '../../src/lake/catalog.ts';
import { compactTable } from '../../src/lake/compaction.ts';
import { backends, tmpHome } from '../helpers.ts';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('../fixtures/catalog-committer.ts', import.meta.url));

const schemas = { 'raw.play': { event_id: 'VARCHAR', ts: 'TIMESTAMPTZ', user_id: 'VARCHAR', ms_played: 'BIGINT' } };

function plays(from: number, n: number, dt = '2026-11-23') {
  return Array.from({ length: n }, (_, k) => ({
    table: 'raw.play',
    dt,
    json: JSON.stringify({ event_id: `e${from + k}`, ts: `${dt}T10:00:00Z`, user_id: 'u1', ms_played: from + k }),
  }));
}

for (const make of await backends()) {
  const probe = make();
  test(`catalog on ${probe.name}`, async (t) => {
    await probe.cleanup();
    const backend = make();
    const { home, cleanup } = tmpHome();
    const store = await openMetaStore({ home, databaseUrl: backend.databaseUrl });
    const lake = await Lake.open({ home, store, schemas });
    t.after(async () => { await lake.close(); await store.close(); await backend.cleanup(); cleanup(); });

    await t.test('each flush is a numbered snapshot and a reader can pin one', async () => {
      await lake.append(plays(0, 100));
      await lake.flush();
      await lake.append(plays(100, 50, '2026-11-24'));
      await lake.flush();
      const snaps = await lake.catalog.snapshots('raw.play');
      assert.deepEqual(snaps.map((s) => [s.snapshot, s.totalRows]), [[1, 100], [2, 150]]);
      const count = async (snapshot?: number) => {
        const files = await lake.filePaths('raw.play', snapshot);
        const r = await lake.conn.runAndReadAll(`SELECT count(*)::INT AS n FROM read_parquet([${files.map((f) => `'${f}'`).join(',')}])`);
        return r.getRowObjectsJS()[0]!.n;
      };
      assert.equal(await count(1), 100);
      assert.equal(await count(), 150);
      const files = await lake.catalog.files('raw.play');
      assert.ok(files.some((f) => f.partition === 'dt=2026-11-24'), 'Hive partition by date');
      await assert.rejects(lake.catalog.files('raw.play', 99), /no snapshot 99/);
    });

    await t.test('a segment commits exactly once', async () => {
      const catalog = new Catalog(store);
      await catalog.commit([{ table: 'raw.other', add: [], operation: 'append' }], { segment: 'w-x/seg-1.wal' });
      await assert.rejects(catalog.commit([{ table: 'raw.other', add: [], operation: 'append' }], { segment: 'w-x/seg-1.wal' }), SegmentAlreadyCommitted);
      assert.equal((await catalog.snapshots('raw.other')).length, 1);
    });

    await t.test('compaction merges small files and keeps old snapshots readable', async () => {
      for (let i = 0; i < 4; i++) { await lake.append(plays(1000 + i * 10, 10, '2026-11-25')); await lake.flush(); }
      const before = (await lake.catalog.files('raw.play')).filter((f) => f.partition === 'dt=2026-11-25').length;
      assert.equal(before, 4);
      const r = await compactTable(lake, 'raw.play', { minFiles: 4 });
      assert.equal(r.partitions, 1);
      const after = await lake.catalog.files('raw.play');
      assert.equal(after.filter((f) => f.partition === 'dt=2026-11-25').length, 1);
      assert.equal(after.reduce((a, f) => a + f.rows, 0), 190);
      const snaps = await lake.catalog.snapshots('raw.play');
      assert.equal(snaps.at(-1)!.operation, 'compact');
      assert.equal(snaps.at(-1)!.totalRows, 190);
      assert.equal((await lake.catalog.files('raw.play', r.snapshot! - 1)).filter((f) => f.partition === 'dt=2026-11-25').length, 4);
    });

    await t.test('a day rebuilt replaces its partition only, whatever files it holds when it commits', async () => {
      const q = (day: string, n: number, base: number) => `SELECT ${base} + i AS v, DATE '${day}' AS day FROM range(${n}) t(i)`;
      const write = (day: string, n: number, base: number) => lake.writeQuery(
        lake.conn,
        'features.days',
        q(day, n, base),
        { mode: 'replace-partitions', partitionBy: `strftime(day, '%Y-%m-%d')`, partitions: [day] },
      );
      await write('2026-11-23', 10, 0);
      await write('2026-11-24', 20, 100);
      await write('2026-11-23', 10, 0); // the same day built again (a redelivered job)
      const again = await write('2026-11-23', 5, 1000); // and rebuilt with other rows
      const files = await lake.catalog.files('features.days');
      assert.deepEqual(files.map((f) => [f.partition, f.rows]).sort(), [['dt=2026-11-23', 5], ['dt=2026-11-24', 20]]);
      const [snap] = (await lake.catalog.snapshots('features.days')).slice(-1);
      assert.deepEqual([snap!.snapshot, snap!.totalRows, snap!.removedFiles], [again.snapshot, 25, 1]);
      // a day rebuilt empty leaves no files behind
      await lake.writeQuery(lake.conn, 'features.days', `${q('2026-11-24', 0, 0)}`, {
        mode: 'replace-partitions',
        partitionBy: `strftime(day, '%Y-%m-%d')`,
        partitions: ['2026-11-24'],
      });
      assert.deepEqual((await lake.catalog.files('features.days')).map((f) => f.partition), ['dt=2026-11-23']);
    });

    await t.test('two processes committing to one table get distinct consecutive snapshots', async () => {
      const child = (tag: string) => new Promise<number>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', fixture, home, backend.databaseUrl ?? '', tag, '15'], { stdio: 'inherit' });
        p.on('exit', (code) => resolve(code ?? 1));
      });
      assert.deepEqual(await Promise.all([child('a'), child('b')]), [0, 0]);
      const snaps = await lake.catalog.snapshots('raw.conc');
      assert.deepEqual(snaps.map((s) => s.snapshot), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.equal(snaps.at(-1)!.totalRows, 30);
      assert.equal((await lake.catalog.files('raw.conc')).length, 30);
    });
  });
}
