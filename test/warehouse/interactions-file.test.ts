// Issue 13: recommend evaluate's user,item,weight files are read by DuckDB's CSV reader: quoted
// commas and quoted newlines (which the old hand-written splitter broke on), CRLF, any column
// order; bad input names the file, the line and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDuck } from '../../src/lake/duck.ts';
import { readInteractionsFile } from '../../src/warehouse/interactions-file.ts';
import { tmpHome } from '../helpers.ts';

test('interaction files through DuckDB: quotes, newlines in quotes, errors by line', async () => {
  const { home, cleanup } = tmpHome();
  const duck = await openDuck({ threads: 1 });
  try {
    const f = (name: string, text: string) => { const p = join(home, name); writeFileSync(p, text); return p; };
    const t = await readInteractionsFile(duck.conn, f('a.csv', 'user,item,weight\r\n1,"Song, live",2.5\r\n2,"Two\nlines",1\r\n007,x,3\r\n'));
    assert.deepEqual(t.users, ['1', '2', '007']);
    assert.deepEqual(t.items, ['Song, live', 'Two\nlines', 'x']);
    assert.deepEqual([...t.weights], [2.5, 1, 3]);
    const noWeight = await readInteractionsFile(duck.conn, f('b.csv', 'Item,USER\nx,1\n'));
    assert.deepEqual([...noWeight.weights], [1]);
    await assert.rejects(readInteractionsFile(duck.conn, f('c.csv', 'user,weight\n1,2\n')), /c\.csv: header has no "item" column/);
    await assert.rejects(readInteractionsFile(duck.conn, f('d.csv', 'user,item,weight\n1,x,2\n1,y,abc\n')), /d\.csv: row at line 3: field "weight" is "abc"/);
    await assert.rejects(readInteractionsFile(duck.conn, f('e.csv', 'user,item,weight\n1,x,2\n1,y\n')), /e\.csv: line 3/);
  } finally { duck.conn.closeSync(); cleanup(); }
});
