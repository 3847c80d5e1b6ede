// The closed loop's periodic jobs as named pipelines on the one runner (so `tributary run
// monitor|retrain` and the scheduler run them with leases, tracking and resume):
// - monitor: drift, prediction drift and live quality of every served model; alerts recorded;
//   with args.retrain (default true), a critical alert triggers the model's gated retraining;
// - retrain: the gated retraining of args.model (or every model with a champion).
import { runMonitor, type MonitorReport } from '../monitoring/monitor.ts';
import { RECIPES } from '../monitoring/recipes.ts';
import { retrainModel, type RetrainResult } from '../monitoring/retrain.ts';
import { ModelRegistry } from '../tracking/index.ts';
import type { PipelineDefinition } from './execute.ts';

interface MonitorCtx { report?: MonitorReport }
interface RetrainCtx { results: RetrainResult[] }

export const monitorPipeline: PipelineDefinition<MonitorCtx, MonitorReport | undefined> = {
  name: 'monitor',
  description: 'drift (PSI, KS) and live quality of the served models; alerts; retraining on a critical alert',
  plan(env) {
    return {
      ctx: {},
      steps: [{
        name: 'monitor',
        durable: false,
        async run(ctx) {
          ctx.report = await runMonitor(env.ws, { retrain: env.args.retrain !== false, log: env.log });
          const promoted = ctx.report.models.filter((m) => m.retrain?.decision.promote).length;
          return {
            rows: ctx.report.models.length,
            note: `${ctx.report.alerts.length} alert(s), ${promoted} promotion(s)`,
            metrics: { alerts: ctx.report.alerts.length, promotions: promoted },
          };
        },
      }],
    };
  },
  result: (ctx) => ctx.report,
};

export const retrainPipeline: PipelineDefinition<RetrainCtx, RetrainResult[]> = {
  name: 'retrain',
  description: 'gated retraining: champion recipe on the newest data, promoted only when better on the same holdout',
  async plan(env) {
    const names = typeof env.args.model === 'string' ? [env.args.model]
      : (await new ModelRegistry(env.ws.store, { home: env.ws.config.home }).listModels()).filter((m) => m.champion !== null).map((m) => m.name);
    return {
      ctx: { results: [] },
      steps: names.map((name) => ({
        name: `retrain ${name}`,
        durable: false,
        async run(ctx: RetrainCtx) {
          const r = await retrainModel(env.ws, name, { recipes: RECIPES, trigger: 'schedule', log: env.log });
          ctx.results.push(r);
          return { note: r.decision.reason, metrics: { promoted: r.decision.promote ? 1 : 0 } };
        },
      })),
    };
  },
  result: (ctx) => ctx.results,
};
