// The jobs layer's state (src/pipeline/): each pipeline run and its steps (what resume reads),
// the watermark of every input a step consumes (what an incremental run reads from), the lease
// that keeps two runs of one pipeline from overlapping across processes and machines, and the
// scheduler's claims of due slots (each slot is claimed once, whoever claims it).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('pipeline_runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('resumed_from', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('layout', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('pipeline_runs_pipeline').on('pipeline_runs').columns(['pipeline', 'started_at']).execute();

  await db.schema.createTable('pipeline_steps')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('child_run_id', 'text')
    .addColumn('outputs', 'text', (c) => c.notNull())
    .addColumn('stats', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addPrimaryKeyConstraint('pipeline_steps_pk', ['run_id', 'step'])
    .execute();

  await db.schema.createTable('pipeline_watermarks')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('step', 'text', (c) => c.notNull())
    .addColumn('input', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'integer', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pipeline_watermarks_pk', ['pipeline', 'step', 'input'])
    .execute();

  await db.schema.createTable('pipeline_leases')
    .addColumn('pipeline', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.createTable('pipeline_schedule_claims')
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('claimed_by', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('pipeline_schedule_claims_pk', ['pipeline', 'due_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['pipeline_schedule_claims', 'pipeline_leases', 'pipeline_watermarks', 'pipeline_steps', 'pipeline_runs']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
