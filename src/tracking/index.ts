// Tracking and the model registry, opened together from the configuration.
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
