// The streaming use case's tables: each service's saved state (the normalizer's running
// statistics and stream position), and, when the metadata database is PostgreSQL, the raw,
// normalized and prediction records beside the lake's copies (queryable by other tools at once).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('stream_state')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('stream_people')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('age', 'double precision', (c) => c.notNull())
    .addColumn('city', 'text', (c) => c.notNull())
    .addColumn('country', 'text')
    .addColumn('income', 'double precision', (c) => c.notNull())
    .addColumn('job', 'text')
    .execute();
  await db.schema.createTable('stream_people_normalized')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('age', 'double precision', (c) => c.notNull())
    .addColumn('income', 'double precision', (c) => c.notNull())
    .addColumn('age_z', 'double precision', (c) => c.notNull())
    .addColumn('income_z', 'double precision', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('stream_predictions')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('age', 'double precision', (c) => c.notNull())
    .addColumn('predicted_income', 'double precision')
    .addColumn('model_version', 'integer')
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['stream_predictions', 'stream_people_normalized', 'stream_people', 'stream_state']) await db.schema.dropTable(t).execute();
}
