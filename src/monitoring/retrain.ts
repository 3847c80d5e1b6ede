// Gated retraining (`tributary retrain MODEL`, the scheduled job and the alert trigger): the
// newest data, a challenger trained with the champion's recipe, both scored on the same recent
// holdout, the challenger promoted only when better by the configured margin (otherwise it
// waits as `challenger`). The decision, both scores and the data snapshots land in the
// challenger's model card and in the retrain_decisions table. Each model kind brings its own
// recipe (a Retrainer, chosen by the champion artifact's kind); the gate is the same for all.
import type { Config } from '../config/index.ts';
import type { Lake } from '../lake/lake.ts';
import { nowIso, type MetaStore } from '../metadata/db.ts';
import { ModelRegistry, type LoadedModel, type RegisterOptions } from '../tracking/index.ts';
import type { SnapshotRef } from '../tracking/lineage.ts';
import type { Warehouse } from '../warehouse/session.ts';
import { resolveAlerts } from './alerts.ts';
import { gateDecision, type GateDecision } from './gate.ts';

export interface RetrainWorkspace { config: Config; store: MetaStore; lake: Lake; wh: Warehouse }

/** What a model kind's recipe returns: the challenger, ready to register, and both scores on one holdout. */
export interface Challenger {
  metric: string;
  lowerIsBetter: boolean;
  championScore: number;
  challengerScore: number;
  /** the holdout in words (period, rows) */
  holdout: string;
  register: Omit<RegisterOptions, 'card'> & { card?: RegisterOptions['card'] };
  snapshots: SnapshotRef[];
  /** extra figures for the decision record */
  details?: Record<string, unknown>;
}

export type Retrainer = (ws: RetrainWorkspace, champion: LoadedModel, opts: { seed: number; log: (m: string) => void }) => Promise<Challenger>;

export interface RetrainResult {
  model: string;
  champion_version: number;
  challenger_version: number;
  decision: GateDecision;
  champion_after: number;
  holdout: string;
  snapshots: SnapshotRef[];
  trigger: string;
}

export interface RetrainOptions {
  /** recipes by artifact kind (src/monitoring/recipes.ts has every product model's) */
  recipes: Record<string, Retrainer>;
  /** relative margin; default config.retrain.margin */
  margin?: number;
  seed?: number;
  /** what asked: 'cli', 'schedule', 'alert:ID' */
  trigger?: string;
  by?: string;
  log?: (m: string) => void;
}

export async function retrainModel(ws: RetrainWorkspace, name: string, opts: RetrainOptions): Promise<RetrainResult> {
  const log = opts.log ?? (() => {});
  const registry = new ModelRegistry(ws.store, { home: ws.config.home });
  const champion = await registry.loadModel(name, 'champion');
  const kind = (champion.artifact as { kind?: string })?.kind ?? champion.kind ?? 'unknown';
  const recipe = opts.recipes[kind];
  if (!recipe) throw new Error(`retrain ${name}: no retraining recipe for artifact kind "${kind}" (known: ${Object.keys(opts.recipes).join(', ')})`);
  const margin = opts.margin ?? ws.config.retrain.margin;
  const trigger = opts.trigger ?? 'cli';
  log(`retrain ${name}: champion v${champion.version} (${kind}); training a challenger with its recipe on the newest data`);
  const c = await recipe(ws, champion, { seed: opts.seed ?? champion.lineage.seed ?? 0, log });
  const decision = gateDecision({ metric: c.metric, lowerIsBetter: c.lowerIsBetter, champion: c.championScore, challenger: c.challengerScore, margin });
  log(`retrain ${name}: ${decision.reason}`);
  const card = {
    ...c.register.card,
    retraining: [
      `Challenger of champion v${champion.version}, retrained with its recipe (trigger: ${trigger}).`,
      '',
      `| | ${c.metric} |`, '|---|---|',
      `| champion v${champion.version} | ${c.championScore} |`, `| challenger (this version) | ${c.challengerScore} |`, '',
      `Holdout: ${c.holdout}.`, '',
      `Data: ${c.snapshots.map((s) => `\`${s.table}\`@${s.snapshot}`).join(', ') || 'no lake snapshots'}.`, '',
      `Decision: ${decision.reason}.`,
    ].join('\n'),
  };
  const reg = await registry.registerModel(name, {
    ...c.register,
    card,
    lineage: { ...c.register.lineage, snapshots: c.snapshots },
    by: opts.by ?? `tributary retrain (${trigger})`,
  });
  const by = opts.by ?? `tributary retrain (${trigger})`;
  await registry.promote(name, reg.version, { alias: decision.promote ? 'champion' : 'challenger', by, reason: decision.reason });
  if (decision.promote) await resolveAlerts(ws.store, name);
  await ws.store.db.insertInto('retrain_decisions').values({
    at: nowIso(), model_name: name, champion_version: champion.version, challenger_version: reg.version,
    outcome: decision.promote ? 'promoted' : 'kept_champion', metric: c.metric, champion_value: finite(c.championScore), challenger_value: finite(
      c.challengerScore,
    ),
    margin, trigger, details: JSON.stringify({ holdout: c.holdout, snapshots: c.snapshots, improvement: finite(decision.improvement), ...c.details }),
  }).execute();
  return {
    model: name, champion_version: champion.version, challenger_version: reg.version, decision,
    champion_after: decision.promote ? reg.version : champion.version, holdout: c.holdout, snapshots: c.snapshots, trigger,
  };
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** The newest retraining decisions (the report and the dashboard). */
export async function listRetrainDecisions(store: MetaStore, opts: { model?: string; limit?: number } = {}) {
  let q = store.db.selectFrom('retrain_decisions').selectAll();
  if (opts.model) q = q.where('model_name', '=', opts.model);
  const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(opts.limit ?? 50).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), details: JSON.parse(r.details) as Record<string, unknown> }));
}
