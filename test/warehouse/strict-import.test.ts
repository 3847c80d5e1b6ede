// Issue 13: strict imports. A ragged CSV row goes to quarantine with its line number (the file
// is not taken for one column); a value that does not fit an existing column's type is a
// quarantined line, never a silent type change; a file none of whose values fit is an error
// naming the column and both types, unless --evolve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { ingestFile } from '../../src/warehouse/ingest.ts';
import { testConfig, tmpHome } from '../helpers.ts';

test('strict imports', async (t) => {
  const { home, cleanup } = tmpHome();
  const ws = await openWorkspace({ config: testConfig(home) });
  t.after(async () => { await ws.close(); cleanup(); });
  const file = (name: string, text: string) => { const p = join(home, name); writeFileSync(p, text); return p; };

  await t.test('a ragged row is quarantined with its line; the columns are the header\'s', async () => {
    const r = await ingestFile(
      ws.wh,
      file(
        'ragged.csv',
        'age,income,city,signup,churn\n34,52000,Lisbon,2024-01-05,0\n41,61000,Porto,2024-02-11,1\n29,48000,Braga,2024-03-02\n52,70000,"Porto, ' +
          'Norte",2024-05-01,0\n',
      ),
      { table: 'people' },
    );
    assert.equal(r.rows, 3);
    assert.equal(r.quarantined, 1);
    const cols = (await ws.wh.describe('SELECT * FROM raw.people')).map((c) => `${c.name}:${c.type}`);
    assert.deepEqual(cols.filter((c) => !c.startsWith('dt:')), ['age:BIGINT', 'income:BIGINT', 'city:VARCHAR', 'signup:DATE', 'churn:BIGINT']);
    const q = await ws.wh.query<{ line: number; reason: string; payload: string }>('SELECT line, reason, payload FROM ' +
      "quarantine.events WHERE source = 'file:ragged.csv'");
    assert.deepEqual(q.map((x) => Number(x.line)), [4]);
    assert.match(q[0]!.reason, /Columns/i);
    assert.equal(q[0]!.payload, '29,48000,Braga,2024-03-02');
  });

  await t.test('a bad date in the next file is a quarantined line, the column stays DATE', async () => {
    const r = await ingestFile(
      ws.wh,
      file('next.csv', 'age,income,city,signup,churn\n44,52000,Lisbon,2024-01-05,0\n45,61000,Porto,not-a-date,1\n46,1000,Faro,2024-02-01,1\n'),
      { table: 'people' },
    );
    assert.equal(r.rows, 2);
    assert.equal(r.quarantined, 1);
    const signup = (await ws.wh.describe('SELECT signup FROM raw.people'))[0]!;
    assert.equal(signup.type, 'DATE');
    const q = await ws.wh.query<{ line: number; field: string }>("SELECT line, field FROM quarantine.events WHERE source = 'file:next.csv'");
    assert.deepEqual(q.map((x) => [Number(x.line), x.field]), [[3, 'signup']]);
  });

  await t.test('a file whose column is of another type is an error naming both; --evolve accepts it', async () => {
    const text = 'age,income,city,signup,churn\n47,52000,Lisbon,soon,0\n';
    await assert.rejects(ingestFile(ws.wh, file('text.csv', text), { table: 'people' }), /column signup of raw\.people is DATE.*VARCHAR.*--evolve/);
    await assert.rejects(ingestFile(ws.wh, file('text.ndjson', '{"age":48,"signup":"later"}\n'), { table: 'people' }), /column signup of raw\.people is DATE, this file has VARCHAR/);
    const before = await ws.lake.catalog.currentSnapshot('raw.people');
    assert.equal(before, 2, 'nothing committed by the refused files');
    const r = await ingestFile(ws.wh, file('text2.csv', text), { table: 'people', evolve: true });
    assert.equal(r.rows, 1);
  });
});
