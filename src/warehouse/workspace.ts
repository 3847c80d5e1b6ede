// Everything a batch command needs, opened in one call: configuration, metadata database, lake
// (with replay of crashed writers' segments) and a warehouse session over it.
import { loadConfig, type Config } from '../config/index.ts';
import { openMetaStore, type MetaStore } from '../metadata/db.ts';
import { Lake } from '../lake/lake.ts';
import { Warehouse } from './session.ts';
import { sourceSchemas } from './sources.ts';

export interface Workspace {
  config: Config;
  store: MetaStore;
  lake: Lake;
  wh: Warehouse;
  close(): Promise<void>;
}

export async function openWorkspace(opts: { config?: Config; pins?: Record<string, number>; log?: (m: string) => void } = {}): Promise<Workspace> {
  const config = opts.config ?? loadConfig();
  const store = await openMetaStore({ home: config.home, databaseUrl: config.databaseUrl });
  const schemas = sourceSchemas();
  const lake = await Lake.open({ home: config.home, store, schemas, log: opts.log });
  const wh = await Warehouse.open({ lake, schemas, pins: opts.pins });
  return {
    config, store, lake, wh,
    async close() {
      wh.close();
      await lake.close();
      await store.close();
    },
  };
}

/** Parses `--snapshot raw.play@3 --snapshot curated.orders@2` into pins. */
export function parsePins(specs: string[] = []): Record<string, number> {
  const pins: Record<string, number> = {};
  for (const s of specs) {
    const m = /^([a-z_]+\.[a-z0-9_]+)@(\d+)$/.exec(s);
    if (!m) throw new Error(`invalid --snapshot "${s}": expected zone.table@N, e.g. raw.play@3`);
    pins[m[1]!] = Number(m[2]);
  }
  return pins;
}
