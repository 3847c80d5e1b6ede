// Shared pieces of the synthetic worlds: deterministic event ids, timestamps, and the fast
// numeric draws of the hot loops (Faker is only used when a world is created).
import { Rng } from '../../ml/core/rng.ts';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** Parses a start date given as Date, epoch ms or ISO string; names the field on bad input. */
export function parseStart(v: Date | string | number | undefined, field = 'start', fallback = '2025-01-06T00:00:00Z'): number {
  const raw = v ?? fallback;
  const ms = raw instanceof Date ? raw.getTime() : typeof raw === 'number' ? raw : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new Error(`${field}: not a valid date: ${String(raw)}`);
  // Worlds are laid out in whole UTC days, so a start mid-day is floored to its midnight.
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Validates an integer option: names the field and the allowed range on bad input. */
export function intOption(name: string, v: unknown, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined || v === null) return def;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name}: expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return n;
}

export function numberOption(name: string, v: unknown, def: number, min: number, max = Number.MAX_VALUE): number {
  if (v === undefined || v === null) return def;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`${name}: expected a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return n;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(x: number): string {
  return HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
}

/**
 * UUID-shaped (version 4 layout) event ids from their own seeded stream, so ids are unique in
 * practice (122 random bits), identical for the same seed (a re-sent world deduplicates
 * downstream), and drawing them never perturbs the world's other draws.
 */
export class IdStream {
  private readonly rng: Rng;
  constructor(seed: number, salt: number) {
    this.rng = new Rng((seed ^ Math.imul(salt + 0x51ed, 0x27d4eb2d)) >>> 0);
  }
  next(): string {
    const r = this.rng;
    const a = r.nextU32(), b = r.nextU32(), c = r.nextU32(), d = r.nextU32();
    const h1 = hex32(a), h2 = hex32((b & 0xffff0fff) | 0x4000), h3 = hex32((c & 0x3fffffff) | 0x80000000), h4 = hex32(d);
    return `${h1}-${h2.slice(0, 4)}-${h2.slice(4)}-${h3.slice(0, 4)}-${h3.slice(4)}${h4}`;
  }
}

/** ISO-8601 in UTC with milliseconds, the wire form of every generated `ts`. */
export function isoTs(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Cumulative weights (normalised to end at 1) for sampling by binary search. */
export function cumulative(weights: ArrayLike<number>): Float64Array {
  const c = new Float64Array(weights.length);
  let s = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`weight ${i} must be finite and >= 0, got ${w}`);
    s += w; c[i] = s;
  }
  if (s <= 0) throw new Error('weights must not all be zero');
  for (let i = 0; i < c.length; i++) c[i] /= s;
  c[c.length - 1] = 1;
  return c;
}

/** Index drawn from cumulative weights (see `cumulative`). */
export function pick(cum: Float64Array, u: number): number {
  let lo = 0, hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! > u) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/** Poisson draw: Knuth's product method for small means, a rounded normal beyond 30. */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const l = Math.exp(-mean);
  let k = 0, p = rng.random();
  while (p > l) { k++; p *= rng.random(); }
  return k;
}

export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.random()) * mean;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A timestamped event under construction: the time stays numeric until it is emitted. */
export interface Timed { t: number }

/**
 * Emits day-sized batches of pending events in global time order. Work for day d may schedule
 * events later than day d (a session past midnight, a cancellation next week); they are held
 * until their own day and merged there, so the stream stays ordered without holding the world.
 * Sorting is stable, so ties keep generation order and the output is deterministic.
 */
export class DayMerger<E extends Timed> {
  private carry: E[] = [];

  /** Sorts `fresh` with the carried events and returns those before `until`; keeps the rest. */
  take(fresh: E[], until: number): E[] {
    const all = this.carry.length ? this.carry.concat(fresh) : fresh;
    all.sort(byTime);
    let n = 0;
    while (n < all.length && all[n]!.t < until) n++;
    this.carry = all.slice(n);
    all.length = n;
    return all;
  }
}

function byTime(a: Timed, b: Timed): number {
  return a.t - b.t;
}

/** Derives a child seed from a world seed and a purpose, so each stream is independent. */
export function subSeed(seed: number, salt: number): number {
  let z = (seed ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export function checkSeed(seed: unknown): number {
  if (seed === undefined) return 42;
  return intOption('seed', seed, 42, 0, 0xffffffff);
}
