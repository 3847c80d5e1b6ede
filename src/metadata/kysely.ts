// Kysely's runtime values, from its CommonJS build. Through tsx's ESM loader each of the ESM
// build's ~260 files is a round trip to the loader thread (~0.45 s of CPU at every process
// start: a third of `tributary run retail`'s start-up); required as CommonJS they load in
// ~0.1 s. Every runtime import of kysely goes through here, so the process holds one copy
// (ddl.ts tells the dialect by instanceof). Type-only imports can stay on 'kysely' itself.
// The CLI's bundle (bin/cli-bundle.js) turns this require into a bundled one.
import { createRequire } from 'node:module';
import type * as K from 'kysely';

const kysely = createRequire(import.meta.url)('kysely') as typeof K;

export const { Kysely, Migrator, PostgresDialect, SqliteDialect, PostgresAdapter, sql } = kysely;
export type Kysely<DB> = K.Kysely<DB>;
export type Migrator = K.Migrator;
export type PostgresDialect = K.PostgresDialect;
export type SqliteDialect = K.SqliteDialect;
export type PostgresAdapter = K.PostgresAdapter;
