// The monitor: for every served model (its champion), data drift per input feature (PSI and KS
// between the training snapshot and recent data), prediction drift (the model's outputs on
// both), and live quality where labels arrive later. Statistics over the configured thresholds
// become alerts in the metadata database; with `retrain`, an alert that calls for it (critical
// drift or a quality breach) triggers the model's gated retraining.
import { ModelRegistry, type LoadedModel } from '../tracking/index.ts';
import { recordAlerts, type Alert, type NewAlert } from './alerts.ts';
import { columnDrift } from './drift-pool.ts';
import { categoricalDrift, type DriftStats } from './drift.ts';
import { PROBES, type ProbeContext } from './probes.ts';
import { RECIPES } from './recipes.ts';
import { retrainModel, type RetrainResult } from './retrain.ts';

export interface FeatureReport extends DriftStats {
  feature: string;
  type: 'numeric' | 'categorical';
  verdict: 'ok' | 'warning' | 'critical' | 'too_few_rows';
  /** false: reported only (a feature that drifts by construction, see probes.ts) */
  alerting: boolean;
}

export interface ModelReport {
  model: string;
  version: number;
  kind: string;
  features: FeatureReport[];
  prediction: FeatureReport | null;
  quality: { metric: string; value: number; threshold: number; n: number; breached: boolean; details?: Record<string, unknown> }[];
  window: Record<string, unknown>;
  alerts: Alert[];
  retrain: RetrainResult | null;
  /** why this model was not monitored (no probe for its kind, too little data) */
  skipped: string | null;
}

export interface MonitorReport { at: string; models: ModelReport[]; alerts: Alert[] }

export interface MonitorOptions {
  /** model names (default every registered model with a champion) */
  models?: string[];
  /** record alerts in the metadata database (default true) */
  record?: boolean;
  /** retrain a model whose alerts call for it (default false) */
  retrain?: boolean;
  seed?: number;
  log?: (line: string) => void;
}

type Severity = FeatureReport['verdict'];

function verdict(s: DriftStats, numeric: boolean, t: ProbeContext['config']['monitoring']): Severity {
  if (s.n_ref < t.minRows || s.n_cur < t.minRows) return 'too_few_rows';
  if (s.psi >= t.psiCritical) return 'critical';
  if (s.psi >= t.psiWarning || (numeric && s.ks >= t.ksWarning)) return 'warning';
  return 'ok';
}

export async function runMonitor(ctx: ProbeContext, opts: MonitorOptions = {}): Promise<MonitorReport> {
  const log = opts.log ?? (() => {});
  const t = ctx.config.monitoring;
  const registry = new ModelRegistry(ctx.store, { home: ctx.config.home });
  const names = opts.models ?? (await registry.listModels()).filter((m) => m.champion !== null).map((m) => m.name);
  const at = new Date().toISOString();
  const models: ModelReport[] = [];
  const all: Alert[] = [];
  for (const name of names) {
    const champion: LoadedModel = await registry.loadModel(name, 'champion');
    const kind = (champion.artifact as { kind?: string })?.kind ?? champion.kind ?? 'unknown';
    const report: ModelReport = {
      model: name,
      version: champion.version,
      kind,
      features: [],
      prediction: null,
      quality: [],
      window: {},
      alerts: [],
      retrain: null,
      skipped: null,
    };
    models.push(report);
    const probe = PROBES[kind];
    if (!probe) { report.skipped = `no monitor for models of kind ${kind}`; continue; }
    let probed;
    try {
      probed = await probe(ctx, champion);
    } catch (e) {
      report.skipped = (e as Error).message;
      log(`monitor ${name}: skipped: ${report.skipped}`);
      continue;
    }
    report.window = probed.window;
    const numeric = probed.features.filter((f) => f.ref.numeric && f.cur.numeric);
    const drift = await columnDrift(numeric.map((f) => f.name), numeric.map((f) => f.ref.numeric!), numeric.map((f) => f.cur.numeric!));
    for (const f of probed.features) {
      const isNum = !!(f.ref.numeric && f.cur.numeric);
      const s: DriftStats = isNum ? drift.find((d) => d.feature === f.name)! : categoricalDrift(f.ref.categorical ?? [], f.cur.categorical ?? []);
      report.features.push({
        ...stats(s),
        feature: f.name,
        type: isNum ? 'numeric' : 'categorical',
        verdict: verdict(s, isNum, t),
        alerting: f.alerting ?? true,
      });
    }
    if (probed.predictions) {
      const [p] = await columnDrift(['prediction'], [probed.predictions.ref], [probed.predictions.cur]);
      report.prediction = { ...stats(p!), feature: 'prediction', type: 'numeric', verdict: verdict(p!, true, t), alerting: true };
    }
    report.quality = probed.quality.map((q) => ({
      metric: q.metric,
      value: q.value,
      threshold: q.threshold,
      n: q.n,
      details: q.details,
      breached: q.higherIsWorse ? q.value > q.threshold : q.value < q.threshold,
    }));

    const fresh: NewAlert[] = [];
    const base = { model: name, version: champion.version };
    for (const f of [...report.features, ...(report.prediction ? [report.prediction] : [])]) {
      if (!f.alerting || (f.verdict !== 'warning' && f.verdict !== 'critical')) continue;
      const byPsi = f.psi >= t.psiWarning;
      const statistic = byPsi ? 'psi' : 'ks';
      fresh.push({
        ...base, kind: f.feature === 'prediction' && report.prediction === f ? 'prediction_drift' : 'data_drift', subject: f.feature, statistic,
        value: byPsi ? f.psi : f.ks, threshold: byPsi ? (f.verdict === 'critical' ? t.psiCritical : t.psiWarning) : t.ksWarning, severity: f.verdict,
        message: `${name} v${champion.version}: ${f.feature} drifted ` +
          `(PSI ${f.psi.toFixed(3)}${f.type === 'numeric' ? `, KS ${f.ks.toFixed(3)}` : ''}) between the training snapshot and recent data`,
        details: {
          psi: f.psi,
          ks: Number.isFinite(f.ks) ? f.ks : null,
          ks_pvalue: Number.isFinite(f.ks_pvalue) ? f.ks_pvalue : null,
          n_ref: f.n_ref,
          n_cur: f.n_cur,
          window: report.window,
        },
      });
    }
    for (const q of report.quality) {
      if (!q.breached) continue;
      fresh.push({
        ...base, kind: 'quality', subject: q.metric, statistic: q.metric, value: q.value, threshold: q.threshold, severity: 'critical',
        message: `${name} v${champion.version}: live ${q.metric} ${q.value.toFixed(4)} is past its threshold ${q.threshold} (${q.n} labelled)`,
        details: { n: q.n, ...q.details, window: report.window },
      });
    }
    report.alerts = opts.record === false
      ? fresh.map((a, i) => ({ ...a, id: -1 - i, created_at: at, resolved_at: null }))
      : await recordAlerts(ctx.store, fresh);
    all.push(...report.alerts);
    const flag = (f: (typeof report.features)[number]) => (f.verdict !== 'ok' ? ` (${f.verdict}${f.alerting ? '' : ', reported only'})` : '');
    const psis = report.features.map((f) => `${f.feature} PSI ${f.psi.toFixed(3)}${flag(f)}`);
    log(`monitor ${name} v${champion.version}: ${psis.join(', ')}; ${report.alerts.length} alert(s)`);

    const trigger = report.alerts.find((a) => a.severity === 'critical');
    if (opts.retrain && trigger) {
      log(`monitor ${name}: alert ${trigger.id} (${trigger.subject}) triggers a retraining`);
      report.retrain = await retrainModel({ config: ctx.config, store: ctx.store, lake: ctx.lake, wh: ctx.wh }, name, {
        recipes: RECIPES,
        trigger: `alert:${trigger.id}`,
        seed: opts.seed,
        log,
      });
    }
  }
  return { at, models, alerts: all };
}

function stats(s: DriftStats): DriftStats {
  return { psi: s.psi, ks: s.ks, ks_pvalue: s.ks_pvalue, n_ref: s.n_ref, n_cur: s.n_cur };
}
