// File import into a declared table (src/warehouse/ingest.ts): the declared column types win
// over what DuckDB would guess from the values. An NDJSON file without a `category` column, with
// timestamps in two ISO forms and with UUID-looking event ids still builds the commerce models;
// imported files and the collector's files of raw.order_line union into one table; a value that
// is not of its column's type is quarantined with the reason; a bulk file is partitioned by year.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMERCE_MODELS } from '../../../src/pipeline/retail.ts';
import { eventLakeSchemas } from '../../../src/events/lake-schema.ts';
import { ingestFile } from '../../../src/warehouse/ingest.ts';
import { buildModels } from '../../../src/warehouse/models.ts';
import { withWorkspace, writeLines, writeRows } from '../../fixtures/files.ts';

const UUID1 = '6F9619FF-8B86-D011-B42D-00C04FC964FF';
const UUID2 = '7f9619ff-8b86-d011-b42d-00c04fc964fe';

test('NDJSON import gets the declared order_line types and unions with collector files', { timeout: 120_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    // no `category` and no `type` column; two ISO timestamp forms; UUID event ids
    const file = writeRows(home, 'lines.ndjson', [
      {
        event_id: UUID1,
        ts: '2011-01-05T10:00:00Z',
        invoice_no: '536365',
        stock_code: '85123A',
        description: 'WHITE HANGING HEART T-LIGHT HOLDER',
        quantity: 6,
        unit_price: 2.55,
        customer_id: '17850',
        country: 'United Kingdom',
      },
      {
        event_id: UUID2,
        ts: '2011-02-07 11:30:00+01:00',
        invoice_no: '536366',
        stock_code: '22633',
        description: 'HAND WARMER UNION JACK',
        quantity: 6,
        unit_price: 1.85,
        customer_id: '17850',
        country: 'United Kingdom',
      },
    ]);
    const r = await ingestFile(ws.wh, file, { table: 'order_line', format: 'ndjson' });
    assert.equal(r.rows, 2);
    assert.equal(r.quarantined, 0);
    assert.equal(r.files, 1, 'one file per year');

    const declared = eventLakeSchemas()['raw.order_line']!;
    const types = Object.fromEntries((await ws.wh.describe('SELECT * EXCLUDE (dt) FROM raw.order_line')).map((c) => [c.name, c.type]));
    const canon = (t: string) => (t === 'TIMESTAMPTZ' ? 'TIMESTAMP WITH TIME ZONE' : t);
    assert.deepEqual(types, Object.fromEntries(Object.entries(declared).map(([k, t]) => [k, canon(t)])), 'exactly the declared columns and types');
    const rows = await ws.wh.query<{ event_id: string; ts: Date; type: string; category:
      | string
      | null; }>('SELECT event_id, ts, type, category FROM raw.order_line ORDER BY ts');
    assert.deepEqual(rows.map((x) => x.event_id), [UUID1, UUID2], 'event ids kept as written');
    assert.deepEqual(rows.map((x) => new Date(x.ts).toISOString()), ['2011-01-05T10:00:00.000Z', '2011-02-07T10:30:00.000Z']);
    assert.deepEqual(rows.map((x) => x.type), ['order_line', 'order_line']);
    assert.deepEqual(rows.map((x) => x.category), [null, null]);

    // a collector file of the same table (event_id written as VARCHAR by the lake's flusher)
    const collected = {
      event_id: 'c-1',
      type: 'order_line',
      ts: '2011-03-01T09:00:00Z',
      invoice_no: '536400',
      stock_code: '22633',
      description: 'HAND WARMER UNION JACK',
      quantity: 2,
      unit_price: 1.85,
      customer_id: '13047',
      country: 'United Kingdom',
      category: null,
    };
    await ws.lake.append([{ table: 'raw.order_line', dt: '2011-03-01', json: JSON.stringify(collected) }]);
    await ws.lake.flush();
    await ws.wh.refresh();

    await buildModels(ws.wh, { only: COMMERCE_MODELS });
    const lines = await ws.wh.query<{ event_id: string; category: string }>('SELECT event_id, category FROM curated.commerce_lines ORDER BY ts');
    assert.deepEqual(lines.map((x) => x.event_id), [UUID1, UUID2, 'c-1']);
    assert.deepEqual(lines.map((x) => x.category), ['home decor', 'home decor', 'home decor'], 'categories derived from descriptions');
  });
});

test('values that are not of their declared type are quarantined with the reason', { timeout: 60_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    const base = { invoice_no: '1', stock_code: 'A', quantity: 1, unit_price: 1, customer_id: 'c1' };
    const file = writeRows(home, 'bad.ndjson', [
      { event_id: 'e1', ts: '2011-01-05T10:00:00Z', ...base },
      { event_id: 'e2', ts: 'yesterday', ...base },
      { event_id: 'e3', ts: '2011-01-06T10:00:00Z', ...base, unit_price: null },
    ]);
    const r = await ingestFile(ws.wh, file, { table: 'order_line', format: 'ndjson' });
    assert.equal(r.rows, 1);
    assert.equal(r.quarantined, 2);
    const q = await ws.wh.query<{ event_id: string; field: string; reason: string; line: number }>('SELECT event_id, ' +
      'field, reason, line FROM quarantine.events ORDER BY event_id');
    assert.deepEqual(q.map((x) => [x.event_id, x.field, x.reason, Number(x.line)]), [
      ['e2', 'ts', 'invalid field ts: not a TIMESTAMPTZ', 2],
      ['e3', 'unit_price', 'missing required field unit_price', 3],
    ], 'an NDJSON file has no header: its n-th row is line n');
  });
});

test('a Parquet file: a row whose value is not of its declared type is quarantined with its row number', { timeout: 60_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    const file = join(home, 'lines.parquet');
    await ws.wh.conn.run(`COPY (SELECT * FROM (VALUES
        ('p1', '2011-01-05T10:00:00Z', '1', 'A', '2', 1.5, 'c1'),
        ('p2', '2011-01-05T11:00:00Z', '1', 'B', 'two', 1.5, 'c1'),
        ('p3', '2011-01-06T10:00:00Z', '2', 'A', '1', 3.0, 'c2')) AS t(event_id, ts, invoice_no, stock_code, quantity, unit_price, customer_id))
      TO '${file}' (FORMAT PARQUET)`);
    const r = await ingestFile(ws.wh, file, { table: 'order_line' });
    assert.deepEqual([r.rows, r.quarantined], [2, 1]);
    const q = await ws.wh.query<{ event_id: string; field: string; line: number }>('SELECT event_id, field, line FROM quarantine.events');
    assert.deepEqual(q.map((x) => [x.event_id, x.field, Number(x.line)]), [['p2', 'quantity', 2]]);
    const rows = await ws.wh.query<{ event_id: string; quantity: number }>('SELECT event_id, quantity FROM raw.order_line ORDER BY event_id');
    assert.deepEqual(rows.map((x) => [x.event_id, Number(x.quantity)]), [['p1', 2], ['p3', 1]]);
  });
});

test('an Online Retail file with a line missing a required field: that line is quarantined, the rest committed once', { timeout: 60_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    // the published form (so the one-pass write is tried first); line 4 has no StockCode
    const file = writeLines(home, 'retail.csv', [
      'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country',
      '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
      '536366,22633,HAND WARMER UNION JACK,6,2011-01-05 08:28:00,1.85,17850.0,United Kingdom',
      '536367,,ASSORTED COLOUR BIRD ORNAMENT,32,2011-01-06 08:34:00,1.69,13047.0,United Kingdom',
      '536368,22960,JAM MAKING SET WITH JARS,6,2011-02-01 08:34:00,4.25,,United Kingdom',
    ]);
    const r = await ingestFile(ws.wh, file, { table: 'order_line' });
    assert.equal(r.mapping, 'online-retail');
    assert.deepEqual([r.rows, r.quarantined, r.files], [3, 1, 2], 'a file per year: 2010, 2011');
    const q = await ws.wh.query<{ event_id: string; field: string; reason: string; line: number }>('SELECT event_id, ' +
      'field, reason, line FROM quarantine.events');
    assert.deepEqual(
      q.map((x) => [x.event_id, x.field, x.reason, Number(x.line)]),
      [['online-retail:3', 'stock_code', 'missing required field stock_code', 4]],
    );
    const rows = await ws.wh.query<{ event_id: string; customer_id: string | null }>('SELECT event_id, customer_id FROM raw.order_line ORDER BY event_id');
    assert.deepEqual(rows.map((x) => [x.event_id, x.customer_id]), [['online-retail:1', '17850'], ['online-retail:2', '17850'], ['online-retail:4', null]]);
    // the dropped one-pass write left nothing behind: the table's folder holds exactly the committed files
    const committed = (await ws.lake.catalog.files('raw.order_line')).map((f) => f.path).sort();
    const onDisk = readdirSync(join(ws.lake.root, 'raw', 'order_line'), { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile()).map((d) => join('raw', 'order_line', d.parentPath.slice(join(ws.lake.root, 'raw', 'order_line').length + 1), d.name)).sort();
    assert.deepEqual(onDisk, committed);
    assert.equal((await ws.lake.catalog.snapshots('raw.order_line')).length, 1, 'one commit');
  });
});

test('order lines imported twice, or repeated within a file, count once: the earliest line of each event_id', { timeout: 60_000 }, async () => {
  await withWorkspace(async ({ ws, home }) => {
    const base = { invoice_no: '7', stock_code: 'A', description: 'RED MUG', quantity: 1, unit_price: 2, customer_id: 'c1', country: 'France' };
    const file = writeRows(home, 'lines.ndjson', [
      { event_id: 'a', ts: '2011-01-05T10:00:00Z', ...base },
      { event_id: 'b', ts: '2011-01-06T10:00:00Z', ...base, quantity: 3 },
      { event_id: 'b', ts: '2011-01-04T10:00:00Z', ...base, quantity: 5 },
      { event_id: 'c', ts: '2011-01-07T10:00:00Z', ...base },
    ]);
    await ingestFile(ws.wh, file, { table: 'order_line', format: 'ndjson' });
    await ingestFile(ws.wh, file, { table: 'order_line', format: 'ndjson' });
    assert.equal((await ws.wh.query<{ n: number }>('SELECT count(*)::BIGINT AS n FROM raw.order_line'))[0]!.n, 8, 'the raw zone keeps every copy');
    await buildModels(ws.wh, { only: COMMERCE_MODELS });
    const rows = await ws.wh.query<{ event_id: string; quantity: number }>('SELECT event_id, quantity FROM curated.commerce_lines ORDER BY event_id');
    assert.deepEqual(rows.map((x) => [x.event_id, Number(x.quantity)]), [['a', 1], ['b', 5], ['c', 1]]);
  });
});
