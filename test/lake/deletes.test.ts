// Deletes on read (src/lake/deletes.ts): a merge that deletes a few rows of a big data file
// writes a delete file of their positions instead of rewriting the file; readers (warehouse
// views, pinned snapshots) skip them; the catalog's row counts and `lake check` agree;
// compaction folds the deletes in (same rows, delete files retired); older snapshots still read
// as they were. A merge deleting much of a file rewrites it instead. On both metadata back-ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openMetaStore } from '../../src/metadata/db.ts';
import { Lake } from '../../src/lake/lake.ts';
import { mergeRows } from '../../src/lake/merge.ts';
import { compactTable } from '../../src/lake/compaction.ts';
import { checkLake } from '../../src/lake/check.ts';
import { vacuumLake } from '../../src/lake/vacuum.ts';
import { Warehouse } from '../../src/warehouse/session.ts';
import { backends, tmpHome } from '../helpers.ts';

const T = 'curated.items';

for (const make of await backends()) {
  test(`a merge deletes a few rows on read; readers skip them; compaction folds them in (${make().name})`, async () => {
    const backend = make();
    const { home, cleanup } = tmpHome('trib-del-');
    const store = await openMetaStore({ home, databaseUrl: backend.databaseUrl });
    const lake = await Lake.open({ home, store });
    const conn = lake.conn;
    const rows = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS().map((r) => `${r.id}:${r.v}`).sort();
    const read = async (snapshot?: number) => rows(`SELECT id, v FROM (${await lake.readSql(T, snapshot)})`);
    try {
      // one data file of 1,000 rows
      await lake.writeQuery(conn, T, `SELECT range AS id, 'a' || range AS v FROM range(1000)`, { mode: 'replace' });
      const first = await lake.catalog.currentSnapshot(T);
      const [data] = await lake.catalog.files(T);

      // update ids 10 and 20, delete id 30, insert id 1000: three stored rows deleted by position
      await conn.run(`CREATE TEMP TABLE del AS SELECT range AS id, 'a' || range AS v FROM range(1000) WHERE range IN (10, 20, 30)`);
      await conn.run(`CREATE TEMP TABLE ins AS SELECT * FROM (VALUES (10, 'b10'), (20, 'b20'), (1000, 'a1000')) t(id, v)`);
      await conn.run(`CREATE TEMP TABLE pos AS SELECT ${`'${join(lake.root, data!.path)}'`} AS f, x.file_row_number AS pos
        FROM read_parquet('${join(lake.root, data!.path)}', file_row_number = true) x WHERE x.id IN (10, 20, 30)`);
      const r = await mergeRows(lake, conn, T, { key: ['id'], deleted: 'del', inserted: 'ins', positions: 'pos' });
      assert.equal(r.deleteFiles, 1);
      assert.equal(r.filesRemoved, 0, 'the big file is not rewritten');
      const { files, deletes } = await lake.catalog.filesWithDeletes(T);
      assert.ok(files.some((f) => f.path === data!.path), 'the data file stays live');
      assert.equal(deletes.length, 1);
      assert.equal(deletes[0]!.rows, 3);
      assert.equal(deletes[0]!.of, data!.path);

      const kept = Array.from({ length: 1000 }, (_, i) => i).filter((i) => ![10, 20, 30].includes(i));
      const expected = [...kept.map((i) => `${i}:a${i}`), '10:b10', '20:b20', '1000:a1000'].sort();
      assert.deepEqual(await read(), expected);
      // a warehouse view reads the same rows; the catalog counts them
      const wh = await Warehouse.open({ lake });
      try {
        assert.deepEqual((await wh.query<{ id: number; v: string }>(`SELECT id, v FROM curated.items`)).map((r) => `${r.id}:${r.v}`).sort(), expected);
      } finally { wh.close(); }
      assert.equal((await lake.catalog.tables()).find((t) => t.table === T)!.rows, 1000);
      assert.equal(await lake.catalog.rowCount(T), 1000, 'the current snapshot records the rows readers see');
      assert.deepEqual((await checkLake(lake)).problems, []);
      // the snapshot before the merge still reads as it was
      assert.equal((await read(first)).length, 1000);
      assert.ok((await read(first)).includes('30:a30'));

      // a second merge on the same file adds a second delete file (id 40 gone)
      await conn.run(`CREATE TEMP TABLE del2 AS SELECT 40 AS id, 'a40' AS v`);
      await conn.run(`CREATE TEMP TABLE ins2 AS SELECT * FROM del2 WHERE false`);
      await conn.run(`CREATE TEMP TABLE pos2 AS SELECT f, x.file_row_number AS pos FROM (SELECT '${join(lake.root, data!.path)}' AS f) ,
        read_parquet('${join(lake.root, data!.path)}', file_row_number = true) x WHERE x.id = 40`);
      const r2 = await mergeRows(lake, conn, T, { key: ['id'], deleted: 'del2', inserted: 'ins2', positions: 'pos2' });
      assert.equal(r2.deleteFiles, 1);
      const afterSecond = expected.filter((x) => x !== '40:a40');
      assert.deepEqual(await read(), afterSecond);
      assert.equal((await lake.catalog.deleteFiles(T)).length, 2);
      assert.deepEqual((await checkLake(lake)).problems, []);

      // compaction folds both delete files into a rewritten data file: same rows, no deletes left
      const beforeFold = await lake.catalog.currentSnapshot(T);
      const c = await compactTable(lake, T, { foldDeletes: true });
      assert.equal(c.deletesFolded, 2);
      assert.equal((await lake.catalog.deleteFiles(T)).length, 0);
      assert.deepEqual(await read(), afterSecond);
      assert.equal((await lake.catalog.tables()).find((t) => t.table === T)!.rows, afterSecond.length);
      assert.deepEqual((await checkLake(lake)).problems, []);
      // the snapshot before the fold still reads through its delete files, which vacuum keeps
      assert.deepEqual(await read(beforeFold), afterSecond);
      await vacuumLake(lake, { minAgeMs: 0 });
      for (const d of await lake.catalog.deleteFiles(T, beforeFold)) assert.ok(existsSync(join(lake.root, d.path)), `vacuum kept ${d.path}`);
      assert.deepEqual(await read(beforeFold), afterSecond);

      // a merge deleting most of a file rewrites it (copy on write), no delete file
      const [folded] = await lake.catalog.files(T);
      await conn.run(`CREATE TEMP TABLE del3 AS SELECT id, v FROM (${await lake.readSql(T)}) WHERE id < 600`);
      await conn.run(`CREATE TEMP TABLE pos3 AS SELECT '${join(lake.root, folded!.path)}' AS f, x.file_row_number AS pos
        FROM read_parquet('${join(lake.root, folded!.path)}', file_row_number = true) x WHERE x.id < 600`);
      const r3 = await mergeRows(lake, conn, T, { key: ['id'], deleted: 'del3', inserted: 'ins2', positions: 'pos3' });
      assert.equal(r3.deleteFiles, 0);
      assert.equal(r3.filesRemoved, 1);
      assert.deepEqual(await read(), afterSecond.filter((x) => Number(x.split(':')[0]) >= 600));
      assert.deepEqual((await checkLake(lake)).problems, []);
    } finally { await lake.close(); await store.close(); await backend.cleanup(); cleanup(); }
  });
}
