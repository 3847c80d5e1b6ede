// Event validation: the compiled fast path never accepts what the zod schema rejects, and the
// batch validator names fields and keeps the original payload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventSchemas, type EventType } from '../../src/events/schemas.ts';
import { fastValidators } from '../../src/events/fast-validate.ts';
import { parseNdjson, validateBatch, partitionDate } from '../../src/events/validate.ts';
import { jsonErrorOffset, lineColumn } from '../../src/events/json-error.ts';
import { Rng } from '../../src/ml/core/rng.ts';

const valid: Record<EventType, Record<string, unknown>> = {
  play: { event_id: 'e', type: 'play', ts: '2026-11-23T10:00:00Z', user_id: 'u', track_id: 't', ms_played: 1000, duration_ms: 2000 },
  skip: { event_id: 'e', type: 'skip', ts: '2026-11-23T10:00:00Z', user_id: 'u', track_id: 't', position_ms: 9000 },
  like: { event_id: 'e', type: 'like', ts: '2026-11-23T10:00:00Z', user_id: 'u', track_id: 't', playlist_id: 'p' },
  search: { event_id: 'e', type: 'search', ts: '2026-11-23T10:00:00Z', user_id: 'u', query: 'jazz' },
  recommendation_shown: { event_id: 'e', type: 'recommendation_shown', ts: '2026-11-23T10:00:00Z', user_id: 'u', track_ids: ['a'], model_version: 'v1' },
  order_line: {
    event_id: 'e',
    type: 'order_line',
    ts: '2026-11-23T10:00:00Z',
    invoice_no: '1',
    stock_code: 'A',
    description: null,
    quantity: 2,
    unit_price: 1.5,
    customer_id: '17850',
    country: 'UK',
  },
  person: { event_id: 'e', type: 'person', ts: '2026-11-23T10:00:00Z', person_id: 'p', name: 'Ana', age: 30, city: 'Lisboa', income: 1000 },
};

const weird: unknown[] = [
  null,
  '',
  'x',
  '😀'.repeat(70),
  -1,
  0,
  0.5,
  1e300,
  -1e300,
  2 ** 53,
  true,
  [],
  ['a'],
  {},
  '2026-02-30T10:00:00Z',
  '2026-11-23T10:00:00',
  '2026-11-23T25:00:00Z',
  'a'.repeat(129),
  'a'.repeat(600),
];

test('the compiled fast path never accepts what zod rejects (differential fuzz)', () => {
  const rng = new Rng(7);
  let agreeValid = 0, fallbacks = 0;
  for (let i = 0; i < 20_000; i++) {
    const type = Object.keys(valid)[rng.int(7)] as EventType;
    const ev: Record<string, unknown> = structuredClone(valid[type]);
    const keys = Object.keys(ev);
    const mutations = rng.int(3);
    for (let m = 0; m < mutations; m++) {
      const r = rng.random();
      if (r < 0.2) delete ev[keys[rng.int(keys.length)]!];
      else if (r < 0.3) ev['extra_' + rng.int(3)] = 1;
      else ev[keys[rng.int(keys.length)]!] = weird[rng.int(weird.length)];
    }
    const fast = fastValidators[type](ev);
    const zod = eventSchemas[type].safeParse(ev).success;
    if (fast) assert.ok(zod, `fast path accepted what zod rejects: ${JSON.stringify(ev)}`);
    if (fast && zod) agreeValid++;
    if (!fast && zod) fallbacks++;
  }
  assert.ok(agreeValid > 1000, 'the fuzz produced valid events too');
  assert.ok(fallbacks < 2000, `the fast path should rarely defer valid events to zod (${fallbacks})`);
});

test('every documented example validates', () => {
  for (const [type, ev] of Object.entries(valid)) assert.ok(eventSchemas[type as EventType].safeParse(ev).success, type);
});

test('a batch names each rejection and keeps the raw payload', () => {
  const lines = [JSON.stringify(valid.play), JSON.stringify({ ...valid.skip, position_ms: -1 }), '{oops', JSON.stringify({ ...valid.like, type: 'love' })];
  const b = validateBatch(parseNdjson(lines.join('\n')), 'test');
  assert.equal(b.accepted, 1);
  assert.deepEqual(b.rejected.map((r) => [r.index, r.line, r.field]), [[1, 2, 'position_ms'], [2, 3, '(json)'], [3, 4, 'type']]);
  assert.equal(b.quarantine.length, 3);
  assert.equal(JSON.parse(b.quarantine[1]!.json).payload, '{oops');
  assert.equal(b.records[0]!.table, 'raw.play');
});

test('partition dates are UTC', () => {
  assert.equal(partitionDate('2026-11-23T23:30:00Z'), '2026-11-23');
  assert.equal(partitionDate('2026-11-24T01:30:00+02:00'), '2026-11-23');
});

test('JSON error positions', () => {
  for (const [text, line, col] of [['{"a": }', 1, 7], ['[\n1,\n2,,3]', 3, 3], ['{"a": "x\u0001"}', 1, 9], ['[1] x', 1, 5], ['', 1, 1]] as const) {
    const off = jsonErrorOffset(text);
    assert.ok(off >= 0, text);
    assert.deepEqual(lineColumn(text, off), { line, column: col }, text);
  }
  assert.equal(jsonErrorOffset('{"a": [1, 2.5e3, "x\\n", null, true]}'), -1);
});
