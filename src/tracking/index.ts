// Tracking and the model registry: the public API other parts use (keep it stable).
//
//   const t = await openTracking(config)          // or new Tracker(store, {home}) / new ModelRegistry(store, {home})
//   await t.tracker.withRun({ pipeline, step, params, tags }, async (run) => {
//     await run.stage('fit', () => ...)            // timed stage; recordStage(name, ms) for self-timed code
//     await run.logMetrics({ rmse }, step?)        // curves: one point per step
//     await run.logArtifact('model.json', bytes)   // file under <home>/artifacts/<run>/, sha256 recorded
//     const trial = await run.startChild({ step: 'trial', params })   // nested runs (search trials)
//   })                                             // ends 'finished', or 'failed' with the error
//   await t.registry.registerModel(name, { artifact: est.toJSON(), runId, metrics, params,
//     lineage: { snapshots: [{ table: 'curated.x', snapshot: ws.wh.snapshots.get('curated.x')! }], seed, config },
//     card: { description, intendedUse, data, features, target } })  // first version => champion
//   await t.registry.loadModel(name, 'champion' | 'challenger' | 'latest' | 3)  // sha256-checked:
//     throws ArtifactIntegrityError on a modified file, NotFoundError on an unknown name/version/alias
//   t.registry.promote(name, v, { alias, by, reason }) / rollback(name, { alias, by, reason })
//   t.registry.getChampionVersion(name) (cheap poll) / watchChampion(name, onChange)
// Lineage snapshots must exist in the lake catalog of the same metadata database (pass
// checkSnapshots: false to ModelRegistry only in tests). One metadata store per process (SQLite).
import { openMetaStore, type MetaStore } from '../metadata/db.ts';
import type { Config } from '../config/index.ts';
import { Tracker } from './tracker.ts';
import { ModelRegistry } from './registry.ts';

export * from './errors.ts';
export * from './tracker.ts';
export * from './registry.ts';
export { parseFilter, type FilterClause } from './filter.ts';
export { codeVersion, configHash, canonicalJson, type SnapshotRef } from './lineage.ts';
export { sha256Hex as sha256HexOf } from './files.ts';
export type { ModelCardFields } from './card.ts';

export interface Tracking {
  store: MetaStore;
  tracker: Tracker;
  registry: ModelRegistry;
  close(): Promise<void>;
}

export async function openTracking(config: Pick<Config, 'home' | 'databaseUrl'>): Promise<Tracking> {
  const store = await openMetaStore({ home: config.home, databaseUrl: config.databaseUrl });
  return {
    store,
    tracker: new Tracker(store, { home: config.home }),
    registry: new ModelRegistry(store, { home: config.home }),
    close: () => store.close(),
  };
}
