// The dashboard's filters (period, product category, country, segment): one zod schema that
// validates the query string, types the routes and documents them in OpenAPI, and the SQL
// conditions they become, with every value a bound parameter ($name), never spliced in.
import type { DuckDBValue } from '@duckdb/node-api';
import { z } from 'zod';

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month as YYYY-MM');
/** free text compared for equality: any value is safe (bound), the length is bounded */
const Label = z.string().min(1).max(200);

export const SalesFilters = z.object({
  from: Month.optional().describe('first month of the period (YYYY-MM)'),
  to: Month.optional().describe('last month of the period (YYYY-MM), inclusive'),
  category: Label.optional().describe('product category'),
  country: Label.optional().describe('country'),
  segment: z.coerce.number().int().min(0).max(10_000).optional().describe('customer segment number'),
});
export type SalesFilters = z.infer<typeof SalesFilters>;

export interface Where {
  sql: string;
  params: Record<string, DuckDBValue>;
}

/**
 * A filter's conditions on the dashboard's sales tables (dashboard/sales-tables.ts: columns month,
 * country, category, all_categories, segment). Without a category, the rows of whole invoices
 * (`all_categories`); with one, that category's rows. `categories: 'each'` keeps every
 * category's own rows (for a breakdown by category); `period: false` leaves the months out
 * (churn's purchases and the forecast's history are not cut by the period).
 */
export function cellWhere(f: SalesFilters, opts: { period?: boolean; categories?: 'each' } = {}): Where {
  const conds: string[] = [];
  const params: Record<string, DuckDBValue> = {};
  if (f.category !== undefined) { conds.push('NOT all_categories AND category = $category'); params.category = f.category; }
  else conds.push(opts.categories === 'each' ? 'NOT all_categories' : 'all_categories');
  if (opts.period !== false) monthConds(f, 'month', conds, params);
  if (f.country !== undefined) { conds.push('country = $country'); params.country = f.country; }
  if (f.segment !== undefined) { conds.push('segment = $segment'); params.segment = f.segment; }
  return { sql: `WHERE ${conds.join(' AND ')}`, params };
}

/** The period's conditions on a column holding the first day of a month. */
export function monthConds(f: { from?: string; to?: string }, column: string, conds: string[], params: Record<string, DuckDBValue>): void {
  if (f.from !== undefined) { conds.push(`${column} >= CAST($from AS DATE)`); params.from = `${f.from}-01`; }
  if (f.to !== undefined) { conds.push(`${column} <= CAST($to AS DATE)`); params.to = `${f.to}-01`; }
}

/** The period's conditions on a DATE column: from the first day of `from` to the last of `to`. */
export function periodConds(f: { from?: string; to?: string }, column: string, conds: string[], params: Record<string, DuckDBValue>): void {
  if (f.from !== undefined) { conds.push(`${column} >= CAST($from AS DATE)`); params.from = `${f.from}-01`; }
  if (f.to !== undefined) { conds.push(`${column} < CAST($to AS DATE) + INTERVAL 1 MONTH`); params.to = `${f.to}-01`; }
}

/** The cache key of a validated filter (its fields in a fixed order). */
export function filterKey(f: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(f).sort().map((k) => [k, f[k]]));
}

/** A period as a month range, for the music tables (which have no category or segment). */
export const PeriodFilters = SalesFilters.pick({ from: true, to: true, country: true });
export type PeriodFilters = z.infer<typeof PeriodFilters>;

/** An id typed into a search box: matched as a prefix (LIKE with its wildcards escaped). */
export const SearchQuery = z.object({
  q: z.string().max(100).default('').describe('prefix of the id'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** `abc%_` → `abc\%\_%` for LIKE ... ESCAPE '\'. */
export function likePrefix(q: string): string {
  return `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The line every empty state ends with: what to run to fill it. */
export const HINTS = {
  retail: 'no retail data yet: run `tributary run retail` (or `tributary demo`)',
  segments: 'no segments yet: run `tributary run retail` (it writes curated.commerce_segments)',
  forecast: 'no forecast yet: run `tributary run retail` (it writes curated.commerce_forecast)',
  music: 'no listening data yet: run `tributary demo` (or collect play events, then `tributary build`)',
  acceptance: 'no recommendations shown yet: run `tributary recommend run` (it logs recommendation_shown events), then `tributary build`',
  playlists: 'no playlists yet: run `tributary recommend run`',
  runs: 'no runs yet: run `tributary run retail`, `tributary recommend run` or `tributary train ...`',
  models: 'no registered models yet: run `tributary run retail` or `tributary train ... --register NAME`',
} as const;
