// Deletes on read (issue 14): a merge that removes a few rows from a big data file records their
// positions in a small delete file instead of rewriting the data file. A delete file is a row of
// lake_files like any other (so vacuum keeps it and snapshots list it), naming the data file it
// applies to in `deletes_of`; readers skip those positions, compaction folds them in.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('lake_files').addColumn('deletes_of', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('lake_files').dropColumn('deletes_of').execute();
}
