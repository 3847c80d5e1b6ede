// A merge's change feed (src/lake/merge.ts) and what an incremental reader makes of it
// (src/warehouse/incremental/changes.ts): a merge that only inserts writes no feed (its added
// file holds exactly the inserted rows, and the reader takes it as the change, as it does an
// append's); a merge that deletes writes one; either way the reader gets exactly the changed
// rows, over one merge or several, and a later compaction of old rows changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openMetaStore } from '../../src/metadata/db.ts';
import { Lake } from '../../src/lake/lake.ts';
import { mergeRows } from '../../src/lake/merge.ts';
import { compactTable } from '../../src/lake/compaction.ts';
import { Warehouse } from '../../src/warehouse/session.ts';
import { changedRows, unchangedSince } from '../../src/warehouse/incremental/changes.ts';
import { tmpHome } from '../helpers.ts';

const T = 'curated.feed_items';

test('an insert-only merge writes no change feed; readers still get exactly the changed rows', async () => {
  const { home, cleanup } = tmpHome('trib-feed-');
  const store = await openMetaStore({ home });
  const lake = await Lake.open({ home, store });
  const conn = lake.conn;
  const wh = await Warehouse.open({ lake });
  const changed = async (from: number, to: number) => {
    const d = await changedRows(wh, T, from, to, ['id', 'v']);
    return (await wh.query<{ id: number; v: string }>(`SELECT id, v FROM (${d.sql})`)).map((r) => `${r.id}:${r.v}`).sort();
  };
  const summary = async () => (await lake.catalog.snapshots(T)).at(-1)!.summary;
  try {
    await lake.writeQuery(conn, T, `SELECT range AS id, 'a' || range AS v FROM range(1000)`, { mode: 'replace' });
    const s1 = await lake.catalog.currentSnapshot(T);
    const [base] = await lake.catalog.files(T);

    // insert-only: ids 1000 and 1001
    await conn.run(`CREATE TEMP TABLE ins1 AS SELECT * FROM (VALUES (1000, 'a1000'), (1001, 'a1001')) t(id, v)`);
    await conn.run(`CREATE TEMP TABLE none AS SELECT * FROM ins1 WHERE false`);
    const r1 = await mergeRows(lake, conn, T, { key: ['id'], deleted: 'none', inserted: 'ins1' });
    assert.equal(r1.inserted, 2);
    const s2 = await lake.catalog.currentSnapshot(T);
    assert.equal((await summary()).changes, undefined, 'no change feed for a merge that deletes nothing');
    assert.deepEqual(await changed(s1, s2), ['1000:a1000', '1001:a1001']);

    // an update of id 10 and a delete of id 20, deleted on read: a change feed
    await conn.run(`CREATE TEMP TABLE del2 AS SELECT * FROM (VALUES (10, 'a10'), (20, 'a20')) t(id, v)`);
    await conn.run(`CREATE TEMP TABLE ins2 AS SELECT 10 AS id, 'b10' AS v`);
    const path = join(lake.root, base!.path);
    await conn.run(`CREATE TEMP TABLE pos2 AS SELECT '${path}' AS f, x.file_row_number AS pos
      FROM read_parquet('${path}', file_row_number = true) x WHERE x.id IN (10, 20)`);
    const r2 = await mergeRows(lake, conn, T, { key: ['id'], deleted: 'del2', inserted: 'ins2', positions: 'pos2' });
    assert.equal(r2.deleteFiles, 1);
    const s3 = await lake.catalog.currentSnapshot(T);
    assert.ok((await summary()).changes, 'a merge that deletes writes its change feed');
    assert.deepEqual(await changed(s2, s3), ['10:a10', '10:b10', '20:a20']);
    // over both merges: every changed row (each side once)
    assert.deepEqual(await changed(s1, s3), ['1000:a1000', '1001:a1001', '10:a10', '10:b10', '20:a20']);

    // a compaction of rows a reader has seen changes nothing for it
    await compactTable(lake, T, { foldDeletes: true, minFiles: 2 });
    const s4 = await lake.catalog.currentSnapshot(T);
    assert.ok(s4 > s3, 'compacted');
    assert.ok(await unchangedSince(wh, T, s3, s4));
    // a window over the insert-only merge and the compaction that folded its file in still
    // names every changed row (and no unchanged one)
    const all = await changed(s1, s4);
    for (const r of ['1000:a1000', '1001:a1001', '10:a10', '10:b10', '20:a20']) assert.ok(all.includes(r), `${r} in ${all.join(', ')}`);
    assert.ok(all.every((r) => ['1000:a1000', '1001:a1001', '10:a10', '10:b10', '20:a20'].includes(r)), all.join(', '));
  } finally {
    wh.close();
    await lake.close();
    await store.close();
    cleanup();
  }
});

test('the changed rows of a table whose model gained a column: its old files read it as NULL', async () => {
  const { home, cleanup } = tmpHome('trib-feed-');
  const store = await openMetaStore({ home });
  const lake = await Lake.open({ home, store });
  const wh = await Warehouse.open({ lake });
  try {
    await lake.writeQuery(lake.conn, T, `SELECT range AS id, 'a' || range AS v FROM range(3)`, { mode: 'replace' });
    const s1 = await lake.catalog.currentSnapshot(T);
    await lake.writeQuery(lake.conn, T, `SELECT range AS id, 'a' || range AS v, range * 10 AS w FROM range(3)`, { mode: 'replace' });
    const s2 = await lake.catalog.currentSnapshot(T);
    const d = await changedRows(wh, T, s1, s2, ['id', 'v', 'w']);
    const rows = (await wh.query<{ id: number; v: string; w: number | null }>(`SELECT id, v, w FROM (${d.sql})`)).map((r) => `${r.id}:${r.v}:${r.w}`).sort();
    assert.deepEqual(rows, ['0:a0:0', '0:a0:null', '1:a1:10', '1:a1:null', '2:a2:20', '2:a2:null']);
  } finally {
    wh.close();
    await lake.close();
    await store.close();
    cleanup();
  }
});
