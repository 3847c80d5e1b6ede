// createTempColumns (src/warehouse/incremental/diff.ts): a temp table made, with its row count
// and its columns (names and DuckDB types, in order) from the same round trip, on a fork too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTempColumns } from '../../src/warehouse/incremental/diff.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { testConfig, tmpHome } from '../helpers.ts';

test('a temp table with its row count and columns in one round trip', async (t) => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  t.after(async () => { await ws.close(); cleanup(); });
  const fork = await ws.wh.fork();
  t.after(() => fork.close());
  const made = await createTempColumns(fork, 'tc_rows',
    `SELECT range AS n, DATE '2026-01-01' + CAST(range AS INTEGER) AS day, 'x' || range AS s FROM range(5)`);
  assert.equal(made.rows, 5);
  assert.deepEqual(made.columns, [{ name: 'n', type: 'BIGINT' }, { name: 'day', type: 'DATE' }, { name: 's', type: 'VARCHAR' }]);
  const empty = await createTempColumns(fork, 'tc_empty', `SELECT 1 AS a WHERE false`);
  assert.deepEqual(empty, { rows: 0, columns: [{ name: 'a', type: 'INTEGER' }] });
  const [r] = await fork.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM tc_rows`);
  assert.equal(r!.n, 5);
});
