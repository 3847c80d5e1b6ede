// The headline KPIs and the cleaning report, read from the curated commerce layer
// (src/warehouse/sql/2*_commerce_*.sql). Churn takes any cutoff and horizon here; the lake table
// curated.commerce_churn holds the month-start series for the dashboard.
import type { Warehouse } from '../../warehouse/session.ts';

export interface Kpis {
  revenue: number;
  customers: number;
  invoices: number;
  lines: number;
  avg_ticket: number;
  churn_rate: number;
  churn_cutoff: string;
  churn_horizon_days: number;
  first_ts: string;
  last_ts: string;
}

export interface ValidationRow { step: number; rule: string; description: string; action: string; rows: number; rows_matching: number }

export interface Churn { cutoff: string; horizon_days: number; active_customers: number; churned_customers: number; churn_rate: number }

const LINES = 'curated.commerce_lines';

function isoTs(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return new Date(String(v)).toISOString();
}

export function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1) throw new Error(`churn horizon days must be an integer >= 1, got ${days}`);
  return days;
}

/** The default cutoff: the last moment whose following `days` days are all inside the data. */
export async function defaultCutoff(wh: Warehouse, days = 90): Promise<Date> {
  const [r] = await wh.query<{ hi: Date | null }>(`SELECT max(ts) AS hi FROM ${LINES}`);
  if (!r?.hi) throw new Error(`${LINES} is empty: nothing to compute a cutoff from`);
  return new Date(new Date(r.hi).getTime() - checkDays(days) * 86_400_000);
}

/**
 * Churn rate: of the customers who bought before the cutoff, the share with no purchase in
 * [cutoff, cutoff + days).
 */
export async function churnRate(wh: Warehouse, opts: { cutoff?: Date; days?: number } = {}): Promise<Churn> {
  const days = checkDays(opts.days ?? 90);
  const cutoff = opts.cutoff ?? await defaultCutoff(wh, days);
  const c = `TIMESTAMPTZ '${cutoff.toISOString()}'`;
  const [r] = await wh.query<{ active: number; churned: number }>(`
    WITH per AS (
      SELECT customer_id, bool_or(ts < ${c}) AS active,
             bool_or(ts >= ${c} AND ts < ${c} + INTERVAL ${days} DAY) AS returned
      FROM ${LINES} GROUP BY customer_id)
    SELECT count(*) FILTER (WHERE active)::BIGINT AS active,
           count(*) FILTER (WHERE active AND NOT returned)::BIGINT AS churned FROM per`);
  const active = Number(r?.active ?? 0), churned = Number(r?.churned ?? 0);
  return {
    cutoff: cutoff.toISOString(),
    horizon_days: days,
    active_customers: active,
    churned_customers: churned,
    churn_rate: active ? churned / active : NaN,
  };
}

export async function readKpis(wh: Warehouse, opts: { churnDays?: number; cutoff?: Date } = {}): Promise<Kpis> {
  const [k] = await wh.query<Record<string, unknown>>(`
    SELECT k.revenue, k.customers, k.invoices, k.lines, k.avg_ticket, b.lo, b.hi
    FROM curated.commerce_kpis k, (SELECT min(ts) AS lo, max(ts) AS hi FROM ${LINES}) b WHERE k.level = 'all'`);
  if (!k || !Number(k.lines)) throw new Error(`no clean sales lines in ${LINES}: ingest order lines and build the models first`);
  const churn = await churnRate(wh, { days: opts.churnDays ?? 90, cutoff: opts.cutoff });
  return {
    revenue: round(Number(k.revenue), 2),
    customers: Number(k.customers),
    invoices: Number(k.invoices),
    lines: Number(k.lines),
    avg_ticket: round(Number(k.avg_ticket), 3),
    churn_rate: round(churn.churn_rate, 4),
    churn_cutoff: churn.cutoff,
    churn_horizon_days: churn.horizon_days,
    first_ts: isoTs(k.lo),
    last_ts: isoTs(k.hi),
  };
}

export async function validationReport(wh: Warehouse): Promise<ValidationRow[]> {
  const rows = await wh.query<ValidationRow>(`SELECT step, rule, description, action, rows, rows_matching FROM curated.commerce_validation ORDER BY step`);
  return rows.map((r) => ({ ...r, step: Number(r.step), rows: Number(r.rows), rows_matching: Number(r.rows_matching) }));
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
