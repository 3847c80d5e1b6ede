// Shared test fixtures: a fresh TRIBUTARY_HOME per test, and the metadata back-ends to run the
// same test body against (SQLite always; PostgreSQL on 127.0.0.1:5432, in a throwaway schema).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config/index.ts';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function tmpHome(prefix = 'trib-'): { home: string; cleanup(): void } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** DATABASE_URL for this backend (undefined = SQLite under home) */
  databaseUrl?: string;
  cleanup(): Promise<void>;
}

let seq = 0;
export async function backends(): Promise<(() => Backend)[]> {
  return [
    () => ({ name: 'sqlite', cleanup: async () => {} }),
    () => {
      const schema = `t_${process.pid}_${Date.now().toString(36)}_${seq++}`;
      return {
        name: 'postgres',
        databaseUrl: `${PG_URL}?schema=${schema}`,
        async cleanup() {
          const c = new pg.Client({ connectionString: PG_URL });
          await c.connect();
          try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
        },
      };
    },
  ];
}

export function testConfig(home: string, extra: Partial<Config> = {}): Config {
  return loadConfig({ home, port: 0, logLevel: 'silent', ...extra }, {});
}
