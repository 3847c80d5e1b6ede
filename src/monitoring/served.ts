// What the API actually served, read back from the inference audit log (`inference.requests`,
// src/serving/audit.ts): for one model version, the feature rows its answers were computed from
// and the answers themselves. A route that looked the features up (a customer id, a user and a
// track) records them in the row's `inputs`; otherwise they are the request's own `rows` (or
// `features`). Monitoring compares these with the training snapshot, so drift is measured on
// the traffic the model saw, not on a guess of it.
import { sqlString } from '../lake/duck.ts';
import type { Warehouse } from '../warehouse/session.ts';

export const AUDIT_TABLE = 'inference.requests';

export interface Served {
  /** audited answers (requests) and feature rows in them */
  requests: number;
  rows: number;
  /** per feature, one value per row (null when the row lacked it) */
  columns: Map<string, (number | string | null)[]>;
  /** one number per row: the regression value, the spend, or the probability of the last class */
  predictions: number[];
  from: string | null;
  until: string | null;
}

type Json = Record<string, unknown>;

const parse = (s: unknown): unknown => {
  if (typeof s !== 'string' || !s) return null;
  try { return JSON.parse(s); } catch { return null; }
};

/** The feature rows of one audited answer: its recorded inputs, else the request's rows. */
function rowsOf(inputs: unknown, request: unknown): Json[] {
  const inp = inputs as { columns?: unknown; rows?: unknown } | null;
  if (inp && Array.isArray(inp.columns) && Array.isArray(inp.rows)) {
    const cols = inp.columns as string[];
    return (inp.rows as unknown[][]).map((r) => Object.fromEntries(cols.map((c, j) => [c, r[j]])));
  }
  const req = request as { rows?: unknown; features?: unknown } | null;
  if (Array.isArray(req?.rows)) return req.rows.filter((r): r is Json => r !== null && typeof r === 'object');
  if (req?.features && typeof req.features === 'object') return [req.features as Json];
  return [];
}

/** One number per answered row. */
function predictionsOf(response: unknown): number[] {
  const r = response as { predictions?: unknown[]; probabilities?: number[][] } | null;
  if (!Array.isArray(r?.predictions)) return [];
  return r.predictions.map((p, i) => {
    if (typeof p === 'number') return p;
    const probs = r.probabilities?.[i];
    if (Array.isArray(probs) && probs.length) return Number(probs[probs.length - 1]);
    if (p && typeof p === 'object') {
      const o = p as { probability?: unknown; spend?: unknown };
      return Number(o.probability ?? o.spend ?? NaN);
    }
    return NaN;
  });
}

/**
 * The answers of `model` v`version` in the audit log over the last `recentDays` days of its
 * traffic (counted back from its newest audited answer). Empty when nothing was audited.
 */
export async function servedRows(wh: Warehouse, model: string, version: number, opts: { recentDays: number }): Promise<Served> {
  const empty: Served = { requests: 0, rows: 0, columns: new Map(), predictions: [], from: null, until: null };
  await wh.refresh();
  if (!wh.snapshots.has(AUDIT_TABLE)) return empty;
  const cols = new Set((await wh.describe(`SELECT * FROM ${AUDIT_TABLE}`)).map((c) => c.name));
  const where = `model = ${sqlString(model)} AND version = ${Number(version)} AND status = 200`;
  const rows = await wh.query<{ ts: string; request: string | null; response: string | null; inputs: string | null }>(`
    SELECT ts::VARCHAR AS ts, request, response, ${cols.has('inputs') ? 'inputs' : 'NULL::VARCHAR AS inputs'}
    FROM ${AUDIT_TABLE} WHERE ${where}
      AND ts > (SELECT max(ts) FROM ${AUDIT_TABLE} WHERE ${where}) - INTERVAL ${Number(opts.recentDays)} DAY
    ORDER BY ts, request_id`);
  if (!rows.length) return empty;
  const out: Served = { ...empty, columns: new Map(), predictions: [], requests: rows.length, from: rows[0]!.ts, until: rows[rows.length - 1]!.ts };
  for (const r of rows) {
    const feats = rowsOf(parse(r.inputs), parse(r.request));
    const preds = predictionsOf(parse(r.response));
    if (preds.length !== feats.length) continue; // an answer that does not line up with its rows says nothing reliable
    for (const f of feats) {
      for (const k of Object.keys(f)) if (!out.columns.has(k)) out.columns.set(k, new Array<number | string | null>(out.rows).fill(null));
      for (const [k, col] of out.columns) {
        const v = f[k];
        col.push(typeof v === 'number' || typeof v === 'string' ? v : null);
      }
      out.rows++;
    }
    out.predictions.push(...preds);
  }
  return out;
}

/** A served column as numbers (strings that are ISO dates become epoch seconds, as training read them). */
export function numericColumn(values: (number | string | null)[], date = false): Float64Array {
  return Float64Array.from(values, (v) => (typeof v === 'number' ? v : date && typeof v === 'string' ? Date.parse(v) / 1000 : NaN));
}
