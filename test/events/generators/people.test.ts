// The people stream: endless, deterministic, valid, and income carries a learnable signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnyEvent, type PersonEvent } from '../../../src/events/schemas.ts';
import { peopleStream, JOBS, PEOPLE_COUNTRIES, expectedIncome } from '../../../src/events/generators/people.ts';
import { Ridge } from '../../../src/ml/linear/index.ts';
import { fromRows } from '../../../src/ml/core/matrix.ts';
import { r2 } from '../../../src/ml/metrics/regression.ts';

function take(n: number, opts: Parameters<typeof peopleStream>[0] = {}): PersonEvent[] {
  const out: PersonEvent[] = [];
  for (const p of peopleStream(opts)) { out.push(p); if (out.length === n) break; }
  return out;
}

test('deterministic per seed, valid, ordered', () => {
  const a = take(3000, { seed: 5, start: '2026-01-01T12:00:00Z', intervalMs: 200 });
  assert.deepEqual(take(3000, { seed: 5, start: '2026-01-01T12:00:00Z', intervalMs: 200 }), a);
  assert.notDeepEqual(take(100, { seed: 6 }).map((p) => p.name), a.slice(0, 100).map((p) => p.name));
  let prev = '';
  for (const p of a) {
    assert.ok(AnyEvent.safeParse(p).success, JSON.stringify(p));
    assert.ok(p.ts >= prev);
    prev = p.ts;
  }
  assert.equal(a[0]!.ts, '2026-01-01T12:00:00.000Z');
  // exponential gaps with mean 200 ms: 3000 records span about 600 s
  const span = (Date.parse(a.at(-1)!.ts) - Date.parse(a[0]!.ts)) / 1000;
  assert.ok(span > 450 && span < 750, `span ${span} s`);
  assert.equal(new Set(a.map((p) => p.person_id)).size, 3000);
});

test('the stream does not end', () => {
  let n = 0;
  for (const _ of peopleStream({ seed: 1, intervalMs: 0 })) if (++n === 50_000) break;
  assert.equal(n, 50_000);
});

test('ages and jobs agree, and a linear model recovers income from age, job and country', () => {
  const people = take(6000, { seed: 9 });
  for (const p of people) {
    if (p.job === 'student') assert.ok(p.age < 30);
    if (p.job === 'retired') assert.ok(p.age >= 63);
    if (p.age >= 70) assert.equal(p.job, 'retired');
  }
  const features = (p: PersonEvent) => [
    Math.min(Math.max(p.age, 18), 50), p.age >= 67 ? 1 : 0,
    ...JOBS.map((j) => (j.job === p.job ? 1 : 0)), ...PEOPLE_COUNTRIES.map((c) => (c.country === p.country ? 1 : 0)),
  ];
  const train = people.slice(0, 4000), held = people.slice(4000);
  const model = new Ridge({ alpha: 0.1 }).fit(fromRows(train.map(features)), Float64Array.from(train, (p) => Math.log(p.income)));
  const pred = model.predict(fromRows(held.map(features)));
  const score = r2(Float64Array.from(held, (p) => Math.log(p.income)), pred);
  assert.ok(score > 0.85, `held-out R² on log income ${score.toFixed(3)}`);
  // and the noise is real: the truth explains most but not all of it
  const truthScore = r2(
    Float64Array.from(held, (p) => Math.log(p.income)),
    Float64Array.from(held, (p) => Math.log(expectedIncome(p.age, p.job!, p.country!))),
  );
  assert.ok(truthScore < 0.99 && score <= truthScore + 0.01, `truth R² ${truthScore.toFixed(3)}`);
  assert.throws(() => expectedIncome(30, 'astronaut', 'Spain'), /job/);
});
