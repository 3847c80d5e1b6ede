// Alerts: a monitored statistic that crossed its configured threshold, recorded in the metadata
// database (table monitoring_alerts, migration 005) so the API, the CLI report, /metrics and
// the dashboard all read the same list.
import { z } from 'zod';
import { nowIso, type MetaStore } from '../metadata/db.ts';

export const ALERT_KINDS = ['data_drift', 'prediction_drift', 'quality'] as const;

/** One alert as the API and the report give it (the OpenAPI schema of GET /v1/monitoring/alerts). */
export const Alert = z.object({
  id: z.number().int(),
  created_at: z.string().describe('ISO-8601 time the monitor raised it'),
  model: z.string().describe('registered model name'),
  version: z.number().int().nullable().describe('the champion version monitored'),
  kind: z.enum(ALERT_KINDS).describe('data_drift: an input feature moved; prediction_drift: the outputs moved; quality: ' +
    'a live metric (acceptance, realised error) got worse'),
  subject: z.string().describe('the feature or metric'),
  statistic: z.string().describe('psi, ks, acceptance_rate, rmse_ratio ...'),
  value: z.number(),
  threshold: z.number(),
  severity: z.enum(['warning', 'critical']),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  resolved_at: z.string().nullable(),
});
export type Alert = z.infer<typeof Alert>;
export type NewAlert = Omit<Alert, 'id' | 'created_at' | 'resolved_at'>;

export async function recordAlerts(store: MetaStore, alerts: NewAlert[]): Promise<Alert[]> {
  const out: Alert[] = [];
  for (const a of alerts) {
    const created_at = nowIso();
    const row = await store.db.insertInto('monitoring_alerts').values({
      created_at, model_name: a.model, model_version: a.version, kind: a.kind, subject: a.subject, statistic: a.statistic,
      value: a.value, threshold: a.threshold, severity: a.severity, message: a.message, details: JSON.stringify(a.details), resolved_at: null,
    }).returning('id').executeTakeFirstOrThrow();
    out.push({ ...a, id: Number(row.id), created_at, resolved_at: null });
  }
  return out;
}

export async function listAlerts(store: MetaStore, opts: { model?: string; since?: string; limit?: number; open?: boolean } = {}): Promise<Alert[]> {
  let q = store.db.selectFrom('monitoring_alerts').selectAll();
  if (opts.model) q = q.where('model_name', '=', opts.model);
  if (opts.since) q = q.where('created_at', '>=', opts.since);
  if (opts.open) q = q.where('resolved_at', 'is', null);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit ?? 100).execute();
  return rows.map((r) => ({
    id: Number(r.id), created_at: r.created_at, model: r.model_name, version: r.model_version, kind: r.kind as Alert['kind'],
    subject: r.subject, statistic: r.statistic, value: Number(r.value), threshold: Number(r.threshold),
    severity: r.severity as Alert['severity'], message: r.message, details: JSON.parse(r.details), resolved_at: r.resolved_at,
  }));
}

/** Alert counts by model, kind and severity (the /metrics gauge). */
export async function alertCounts(store: MetaStore): Promise<{ model: string; kind: string; severity: string; n: number }[]> {
  const rows = await store.db.selectFrom('monitoring_alerts')
    .select((eb) => ['model_name', 'kind', 'severity', eb.fn.countAll<number>().as('n')])
    .groupBy(['model_name', 'kind', 'severity']).execute();
  return rows.map((r) => ({ model: r.model_name, kind: r.kind, severity: r.severity, n: Number(r.n) }));
}

/** Marks a model's open alerts resolved (after a promotion answered them). */
export async function resolveAlerts(store: MetaStore, model: string): Promise<number> {
  const r = await store.db.updateTable('monitoring_alerts').set({ resolved_at: nowIso() })
    .where('model_name', '=', model).where('resolved_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
