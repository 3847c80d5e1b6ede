// Every named pipeline, by the name `tributary run NAME` and the schedules use. Each is loaded
// only when run (they pull in DuckDB, the ML core...).
import type { PipelineDefinition } from './execute.ts';

export const PIPELINES: Record<string, { description: string; load(): Promise<PipelineDefinition> }> = {
  build: {
    description: 'the warehouse: every SQL model (incremental where it has a merge key), then compaction',
    load: async () => (await import('./build.ts')).buildPipeline,
  },
  compact: { description: 'lake maintenance: merge small files toward the target size', load: async () => (await import('./build.ts')).compactPipeline },
  monitor: {
    description: 'drift (PSI, KS) and live quality of the served models, alerts, retraining on a critical alert',
    load: async () => (await import('./loop.ts')).monitorPipeline,
  },
  retrain: {
    description: 'gated retraining of every model (args.model: one): promoted only when better on the same holdout',
    load: async () => (await import('./loop.ts')).retrainPipeline,
  },
  retail: {
    description: 'sales analytics: clean, KPIs, forecasts, spend prediction, segments; models registered (args: data, fromLake, seed, world, kRange)',
    load: async () => (await import('./retail.ts')).retailPipeline,
  },
  train: {
    description: 'a tracked training (`tributary train`; args: train, data, test, search, register): load, search, fit, cross-validate, save, register',
    load: async () => (await import('./train.ts')).trainPipeline,
  },
  music: {
    description: 'the music recommender: features, evaluation against popularity, fit, like model, registry, playlists',
    load: async () => (await import('./music.ts')).musicPipeline,
  },
};

export async function loadPipeline(name: string): Promise<PipelineDefinition> {
  const p = PIPELINES[name];
  if (!p) throw new Error(`unknown pipeline "${name}" (pipelines: ${Object.keys(PIPELINES).join(', ')})`);
  return p.load();
}
