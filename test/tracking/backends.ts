// Runs the same test body against SQLite (a temp home) and PostgreSQL (a fresh schema on
// TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), dropping both afterwards.
// PostgreSQL tests skip with a message when no server answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import pg from 'pg';
import { openMetaStore, type MetaStore } from '../../src/metadata/db.ts';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  name: 'sqlite' | 'postgres';
  home: string;
  /** undefined for SQLite */
  databaseUrl?: string;
  store: MetaStore;
}

let pgUp: Promise<boolean> | undefined;
export function postgresReachable(): Promise<boolean> {
  pgUp ??= (async () => {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  })();
  return pgUp;
}

export const BACKENDS = ['sqlite', 'postgres'] as const;

/** Opens a fresh backend; returns undefined (and the caller skips) when PostgreSQL is absent. */
export async function openBackend(name: 'sqlite' | 'postgres'): Promise<(Backend & { dispose(): Promise<void> }) | undefined> {
  const home = mkdtempSync(join(tmpdir(), 'tributary-tracking-'));
  if (name === 'sqlite') {
    const store = await openMetaStore({ home });
    return { name, home, store, dispose: async () => { await store.close(); rmSync(home, { recursive: true, force: true }); } };
  }
  if (!(await postgresReachable())) {
    rmSync(home, { recursive: true, force: true });
    return undefined;
  }
  const schema = `t_tracking_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  const databaseUrl = url.toString();
  const store = await openMetaStore({ home, databaseUrl });
  return {
    name, home, store, databaseUrl,
    dispose: async () => {
      await store.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** One test per back-end, named `name [sqlite]` and `name [postgres]`: body gets a fresh one, disposed after (PostgreSQL's skips when no server answers). */
export function backendTest(name: string, body: (b: Backend) => Promise<void>): void {
  for (const kind of BACKENDS) {
    it(`${name} [${kind}]`, async (t) => {
      const b = await openBackend(kind);
      if (!b) return t.skip(`PostgreSQL not reachable at ${PG_URL}`);
      try {
        await body(b);
      } finally {
        await b.dispose();
      }
    });
  }
}
