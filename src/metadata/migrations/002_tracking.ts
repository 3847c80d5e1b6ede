// Experiment tracking (runs, params, metrics, stages, tags, artifacts) and the model registry
// (models, versions, lineage inputs, aliases and their history). Indexes serve the hot paths
// measured by bench/registry.bench.ts: newest runs first, search by param/metric, champion
// lookup, versions of a model.
import type { Kysely } from 'kysely';
import { withId } from '../ddl.ts';

// 'real' is float4 on PostgreSQL; metrics and numeric params need doubles in both dialects.
const DOUBLE = 'double precision';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('tracking_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('step', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('parent_run_id', 'text', (c) => c.references('tracking_runs.id'))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('duration_ms', DOUBLE)
    .addColumn('code_version', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('tracking_runs_started').on('tracking_runs').columns(['started_at', 'id']).execute();
  await db.schema.createIndex('tracking_runs_pipeline').on('tracking_runs').columns(['pipeline', 'started_at']).execute();
  await db.schema.createIndex('tracking_runs_parent').on('tracking_runs').columns(['parent_run_id']).execute();

  await db.schema.createTable('tracking_params')
    .addColumn('run_id', 'text', (c) => c.notNull().references('tracking_runs.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('num_value', DOUBLE)
    .addPrimaryKeyConstraint('tracking_params_pk', ['run_id', 'key'])
    .execute();
  await db.schema.createIndex('tracking_params_key_value').on('tracking_params').columns(['key', 'value']).execute();
  await db.schema.createIndex('tracking_params_key_num').on('tracking_params').columns(['key', 'num_value']).execute();

  await withId(db, db.schema.createTable('tracking_metrics'))
    .addColumn('run_id', 'text', (c) => c.notNull().references('tracking_runs.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', DOUBLE)
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('logged_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tracking_metrics_run_key').on('tracking_metrics').columns(['run_id', 'key', 'step']).execute();

  await db.schema.createTable('tracking_latest_metrics')
    .addColumn('run_id', 'text', (c) => c.notNull().references('tracking_runs.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', DOUBLE)
    .addColumn('step', 'integer', (c) => c.notNull())
    .addColumn('logged_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracking_latest_metrics_pk', ['run_id', 'key'])
    .execute();
  await db.schema.createIndex('tracking_latest_metrics_key_value').on('tracking_latest_metrics').columns(['key', 'value']).execute();

  await db.schema.createTable('tracking_tags')
    .addColumn('run_id', 'text', (c) => c.notNull().references('tracking_runs.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracking_tags_pk', ['run_id', 'key'])
    .execute();
  await db.schema.createIndex('tracking_tags_key_value').on('tracking_tags').columns(['key', 'value']).execute();

  await db.schema.createTable('tracking_stages')
    .addColumn('run_id', 'text', (c) => c.notNull().references('tracking_runs.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('duration_ms', DOUBLE, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracking_stages_pk', ['run_id', 'seq'])
    .execute();

  await db.schema.createTable('tracking_artifacts')
    .addColumn('run_id', 'text', (c) => c.notNull().references('tracking_runs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('tracking_artifacts_pk', ['run_id', 'name'])
    .execute();

  await db.schema.createTable('registered_models')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('latest_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema.createTable('model_versions')
    .addColumn('model_name', 'text', (c) => c.notNull().references('registered_models.name'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.references('tracking_runs.id'))
    .addColumn('kind', 'text')
    .addColumn('artifact_path', 'text', (c) => c.notNull())
    .addColumn('artifact_sha256', 'text', (c) => c.notNull())
    .addColumn('artifact_size', 'bigint', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('lineage', 'text', (c) => c.notNull())
    .addColumn('code_version', 'text', (c) => c.notNull())
    .addColumn('config_hash', 'text')
    .addColumn('seed', 'bigint')
    .addColumn('card', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_versions_pk', ['model_name', 'version'])
    .execute();
  await db.schema.createIndex('model_versions_run').on('model_versions').columns(['run_id']).execute();

  await db.schema.createTable('model_version_inputs')
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_inputs_pk', ['model_name', 'version', 'table_name'])
    .addForeignKeyConstraint('model_version_inputs_version', ['model_name', 'version'], 'model_versions', ['model_name', 'version'])
    .execute();
  await db.schema.createIndex('model_version_inputs_table').on('model_version_inputs').columns(['table_name', 'snapshot']).execute();

  await db.schema.createTable('model_aliases')
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_aliases_pk', ['model_name', 'alias'])
    .addForeignKeyConstraint('model_aliases_version', ['model_name', 'version'], 'model_versions', ['model_name', 'version'])
    .execute();

  await withId(db, db.schema.createTable('model_alias_history'))
    .addColumn('model_name', 'text', (c) => c.notNull().references('registered_models.name'))
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('from_version', 'integer')
    .addColumn('to_version', 'integer')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('model_alias_history_model').on('model_alias_history').columns(['model_name', 'alias', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'model_alias_history', 'model_aliases', 'model_version_inputs', 'model_versions', 'registered_models',
    'tracking_artifacts', 'tracking_stages', 'tracking_tags', 'tracking_latest_metrics', 'tracking_metrics',
    'tracking_params', 'tracking_runs',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
