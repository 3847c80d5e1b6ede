// DuckDB's Node API, required as CommonJS. Imported from ESM, node would first lex its entry and
// the ~30 files it re-exports to find their export names (~0.3 s of CPU at every process start);
// required, it just loads them. Every runtime import of @duckdb/node-api goes through here.
// Type-only imports can stay on '@duckdb/node-api' itself.
// The CLI's bundle (bin/cli-bundle.js) turns this require into a bundled one.
import { createRequire } from 'node:module';
import type * as D from '@duckdb/node-api';

const duckdb = createRequire(import.meta.url)('@duckdb/node-api') as typeof D;

export const { DuckDBInstance } = duckdb;
export type DuckDBInstance = D.DuckDBInstance;
