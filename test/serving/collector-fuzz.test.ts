// Issue 13: a property-based fuzz of the collector over real HTTP. Random JSON and NDJSON bodies
// built as text (so they can hold what JSON.stringify never writes): lone surrogates, control
// characters, CR as whitespace and line end, duplicate keys, deep nesting, huge numbers. Every
// request gets 2xx or 4xx, never 5xx; after a restart every acknowledged event is queryable
// and the lake passes its consistency check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startServer } from '../../src/serving/server.ts';
import { openWorkspace } from '../../src/warehouse/workspace.ts';
import { checkLake } from '../../src/lake/check.ts';
import { eventTypes } from '../../src/events/schemas.ts';
import { testConfig, tmpHome } from '../helpers.ts';

/** JSON text of a string, with raw escapes the generator chose (a lone \ud800 stays lone). */
const str = (s: string) => JSON.stringify(s);
const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }).map(str), // lone surrogates among them
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(str),
  fc.constantFrom('"\\ud800"', '"\\udc00x"', '"a\\ud83d"', '"\\u0000"', '"\\r\\n"', '"tab\\there"', '"\\ud83d\\ude00"'),
  fc.stringMatching(/^[\x00-\x1f]{1,4}$/).map(str),
  fc.string({ minLength: 120, maxLength: 140 }).map(str),
);
const hugeNumber = fc.constantFrom(
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '9007199254740993',
  '-0',
  '1e-400',
  '86400001',
  '-999999999',
  '0.5',
  '1E2',
);
const deep = fc.integer({ min: 1, max: 40 }).map((d) => '['.repeat(d) + '1' + ']'.repeat(d));
const anyValue = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 2, arbitrary: hugeNumber },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.constantFrom('null', 'true', '{}', '[]', '{"a":1}') },
);

let seq = 0;
const ws = fc.constantFrom('', ' ', '\r', '\t', '\r ');

/** One event as JSON text: a valid play, then a few mutations. */
const eventText = fc.record({
  // half the events are valid plays (else nearly every batch would hold a body-level error)
  mutations: fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as [string, string][]) },
    {
      weight: 1,
      arbitrary: fc.array(
        fc.tuple(fc.constantFrom('event_id', 'type', 'ts', 'user_id', 'track_id', 'ms_played', 'duration_ms', 'context', 'extra'), anyValue),
        { minLength: 1, maxLength: 2 },
      ),
    },
  ),
  duplicate: fc.oneof({ weight: 25, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('ms_played', 'ts', 'user_id') }),
  type: fc.constantFrom('play', 'play', 'play', ...eventTypes),
  space: ws,
}).map(({ mutations, duplicate, type, space }) => {
  const fields = new Map<string, string>([
    ['event_id', str(`f${seq++}`)], ['type', str(type)], ['ts', str('2026-11-23T10:00:00Z')], ['user_id', str('u1')],
    ['track_id', str('t1')], ['ms_played', '1000'],
  ]);
  for (const [k, v] of mutations) fields.set(k, v);
  const parts = [...fields].map(([k, v]) => `${str(k)}${space}:${space}${v}`);
  if (duplicate) parts.push(`${str(duplicate)}:${duplicate === 'ms_played' ? '-5' : 'null'}`);
  return `{${space}${parts.join(`,${space}`)}${space}}`;
});

const body = fc.record({
  events: fc.array(eventText, { minLength: 1, maxLength: 6 }),
  ndjson: fc.boolean(),
  crlf: fc.boolean(),
});

test('collector fuzz: never a 5xx; every acknowledged event survives a restart; the lake stays consistent', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tmpHome();
  const acked = new Map<string, Set<string>>(); // table -> event ids
  const statuses = new Map<number, number>();
  try {
    const server = await startServer(testConfig(home));
    try {
      await fc.assert(fc.asyncProperty(body, async ({ events, ndjson, crlf }) => {
        const text = ndjson ? events.join(crlf ? '\r\n' : '\n') : `[${events.join(',')}]`;
        const res = await fetch(`${server.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
          body: text,
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const answer = await res.text();
        assert.ok(res.status < 500, `${res.status} ${answer} for ${JSON.stringify(text)}`);
        if (res.status !== 200 && res.status !== 422) return;
        const { rejected } = JSON.parse(answer) as { rejected: { index: number }[] };
        const bad = new Set(rejected.map((r) => r.index));
        events.forEach((e, index) => {
          if (bad.has(index)) return;
          const v = JSON.parse(e.trim()) as { event_id: string; type: string };
          let ids = acked.get(v.type);
          if (!ids) acked.set(v.type, (ids = new Set()));
          ids.add(v.event_id);
        });
      }), { numRuns: 120 });
      assert.ok((statuses.get(200) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0, `a mix of answers: ${JSON.stringify([...statuses])}`);
    } finally { await server.close(); }

    const w = await openWorkspace({ config: testConfig(home) });
    try {
      let total = 0;
      for (const [type, ids] of acked) {
        const inLake = new Set((await w.wh.query<{ event_id: string }>(`SELECT event_id FROM raw.${type}`)).map((r) => r.event_id));
        const missing = [...ids].filter((id) => !inLake.has(id));
        assert.deepEqual(missing, [], `acknowledged ${type} events missing`);
        total += ids.size;
      }
      assert.ok(total > 0);
      const check = await checkLake(w.lake);
      assert.deepEqual(check.problems, []);
    } finally { await w.close(); }
  } finally { cleanup(); }
});
