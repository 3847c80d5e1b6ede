// Write transactions that take the database's write lock before their first read, so a
// read-modify-write (allocate the next version, move an alias and append its history) cannot
// interleave with another process doing the same.
import { sql } from '../metadata/kysely.ts';
import type { MetaDb, MetaStore } from '../metadata/db.ts';

/**
 * SQLite: BEGIN IMMEDIATE (Kysely's own transactions open DEFERRED, which lets two processes
 * read, then fail or lose an update when both try to write); busy_timeout makes the second
 * writer wait. PostgreSQL: an ordinary transaction; callers lock the rows they change with
 * SELECT ... FOR UPDATE (see lockModel in registry.ts).
 */
export async function writeTransaction<T>(store: MetaStore, fn: (trx: MetaDb) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') return store.db.transaction().execute(fn);
  return store.db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    let out: T;
    try {
      out = await fn(conn);
    } catch (e) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw e;
    }
    await sql`commit`.execute(conn);
    return out;
  });
}
