import type { Kysely } from 'kysely';
import { withId } from '../ddl.ts';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('lake_tables'))
    .addColumn('zone', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('current_snapshot', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('lake_tables_zone_name', ['zone', 'name'])
    .execute();
  await db.schema.createTable('lake_snapshots')
    .addColumn('table_id', 'integer', (c) => c.notNull().references('lake_tables.id'))
    .addColumn('snapshot_id', 'integer', (c) => c.notNull())
    .addColumn('parent_id', 'integer')
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('committed_at', 'text', (c) => c.notNull())
    .addColumn('added_files', 'integer', (c) => c.notNull())
    .addColumn('removed_files', 'integer', (c) => c.notNull())
    .addColumn('added_rows', 'bigint', (c) => c.notNull())
    .addColumn('total_rows', 'bigint', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('lake_snapshots_pk', ['table_id', 'snapshot_id'])
    .execute();
  await withId(db, db.schema.createTable('lake_files'))
    .addColumn('table_id', 'integer', (c) => c.notNull().references('lake_tables.id'))
    .addColumn('path', 'text', (c) => c.notNull().unique())
    .addColumn('partition', 'text', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('added_in', 'integer', (c) => c.notNull())
    .addColumn('removed_in', 'integer')
    .execute();
  await db.schema.createIndex('lake_files_table').on('lake_files').columns(['table_id', 'added_in']).execute();
  await db.schema.createTable('lake_committed_segments')
    .addColumn('segment', 'text', (c) => c.primaryKey())
    .addColumn('committed_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['lake_committed_segments', 'lake_files', 'lake_snapshots', 'lake_tables']) {
    await db.schema.dropTable(t).execute();
  }
}
