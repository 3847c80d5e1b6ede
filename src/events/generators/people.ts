// An endless stream of `person` records for the streaming use case (generator → normalizer →
// trainer). Income follows job, age (rising to a plateau in the fifties, falling after
// retirement age) and country, times log-normal noise, so a regression has a real signal.
import { Faker, en } from '@faker-js/faker';
import { Rng } from '../../ml/core/rng.ts';
import type { PersonEvent } from '../schemas.ts';
import { IdStream, checkSeed, clamp, cumulative, exponential, isoTs, numberOption, parseStart, pick, subSeed } from './common.ts';

export interface PeopleStreamOptions {
  seed?: number;
  /** ts of the first record; default 2025-01-06 (pass Date.now() for a live stream) */
  start?: Date | string | number;
  /** mean spacing of records in ms (exponential gaps); default 1000 */
  intervalMs?: number;
}

export const JOBS: readonly { job: string; base: number }[] = [
  { job: 'cashier', base: 24_000 }, { job: 'waiter', base: 23_000 }, { job: 'driver', base: 32_000 },
  { job: 'electrician', base: 46_000 }, { job: 'nurse', base: 48_000 }, { job: 'teacher', base: 45_000 },
  { job: 'accountant', base: 58_000 }, { job: 'designer', base: 52_000 }, { job: 'software engineer', base: 85_000 },
  { job: 'data scientist', base: 90_000 }, { job: 'lawyer', base: 105_000 }, { job: 'physician', base: 140_000 },
  { job: 'manager', base: 78_000 }, { job: 'student', base: 9_000 }, { job: 'retired', base: 26_000 },
];
const JOB_WEIGHTS = [8, 6, 8, 6, 8, 8, 6, 4, 6, 2, 2, 2, 6, 8, 10];

/** Countries with a purchasing-power factor on income. */
export const PEOPLE_COUNTRIES: readonly { country: string; factor: number; weight: number }[] = [
  { country: 'United States', factor: 1.25, weight: 30 }, { country: 'United Kingdom', factor: 1, weight: 15 },
  { country: 'Germany', factor: 1.05, weight: 15 }, { country: 'France', factor: 0.95, weight: 12 },
  { country: 'Spain', factor: 0.75, weight: 10 }, { country: 'Poland', factor: 0.6, weight: 8 },
  { country: 'Brazil', factor: 0.4, weight: 10 },
];
const CITIES_PER_COUNTRY = 12;

/**
 * Expected income (before noise) of a person: the job's base, times the age curve and the
 * country factor. Exposed so tests and examples can measure how much of the variance a model
 * recovers.
 */
export function expectedIncome(age: number, job: string, country: string): number {
  const j = JOBS.find((x) => x.job === job);
  const c = PEOPLE_COUNTRIES.find((x) => x.country === country);
  if (!j) throw new Error(`job: unknown job ${JSON.stringify(job)}`);
  if (!c) throw new Error(`country: unknown country ${JSON.stringify(country)}`);
  return j.base * ageCurve(age) * c.factor;
}

/** Earnings rise ~2.5%/year from 18 to a plateau at 50, and halve after 67. */
function ageCurve(age: number): number {
  const a = clamp(age, 18, 50);
  return Math.exp(0.025 * (a - 35)) * (age >= 67 ? 0.55 : 1);
}

/** An infinite, deterministic generator of person events. */
export function* peopleStream(opts: PeopleStreamOptions = {}): Generator<PersonEvent> {
  const seed = checkSeed(opts.seed);
  const start = typeof opts.start === 'number' ? opts.start : opts.start === undefined ? parseStart(undefined) : new Date(opts.start).getTime();
  if (!Number.isFinite(start)) throw new Error(`start: not a valid date: ${String(opts.start)}`);
  const interval = numberOption('intervalMs', opts.intervalMs, 1000, 0);
  const faker = new Faker({ locale: [en], seed });
  const rng = new Rng(subSeed(seed, 21));
  const ids = new IdStream(seed, 3);

  // Faker fills pools once; the endless loop only draws indices from them
  const first = Array.from({ length: 400 }, () => faker.person.firstName());
  const last = Array.from({ length: 400 }, () => faker.person.lastName());
  const cities = PEOPLE_COUNTRIES.map(() => Array.from({ length: CITIES_PER_COUNTRY }, () => faker.location.city()));
  const countryCum = cumulative(PEOPLE_COUNTRIES.map((c) => c.weight));
  const jobCum = cumulative(JOB_WEIGHTS);
  // a few cities per country are large: city weight ~ 1/rank
  const cityCum = cumulative(Array.from({ length: CITIES_PER_COUNTRY }, (_, i) => 1 / (i + 1)));

  let t = start;
  for (let i = 1; ; i++) {
    const ci = pick(countryCum, rng.random());
    const c = PEOPLE_COUNTRIES[ci]!;
    let jobIdx = pick(jobCum, rng.random());
    let age = clamp(Math.round(40 + 15 * rng.normal()), 16, 95);
    // job and age agree: students are young, the retired old
    if (JOBS[jobIdx]!.job === 'student') age = 16 + rng.int(14);
    else if (JOBS[jobIdx]!.job === 'retired') age = 63 + rng.int(30);
    else if (age >= 70) jobIdx = JOBS.findIndex((j) => j.job === 'retired');
    const job = JOBS[jobIdx]!;
    const income = job.base * ageCurve(age) * c.factor * Math.exp(0.18 * rng.normal() - 0.0162);
    yield {
      event_id: ids.next(), type: 'person', ts: isoTs(Math.floor(t)), person_id: `p${i}`,
      name: `${first[rng.int(first.length)]!} ${last[rng.int(last.length)]!}`, age,
      city: cities[ci]![pick(cityCum, rng.random())]!, country: c.country,
      income: Math.round(income), job: job.job,
    };
    t += interval > 0 ? exponential(rng, interval) : 0;
  }
}
