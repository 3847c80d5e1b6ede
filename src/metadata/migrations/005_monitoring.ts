// The closed loop (issue 15): monitoring alerts (a threshold crossed by a drift statistic or a
// live-quality metric, with the value and the threshold), A/B experiments (two versions of a
// model served to disjoint, deterministic groups of users) and retraining decisions (champion
// against challenger on the same holdout, with the verdict).
import type { Kysely } from 'kysely';
import { withId } from '../ddl.ts';

const DOUBLE = 'double precision';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('monitoring_alerts'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('model_version', 'integer')
    /** 'data_drift' | 'prediction_drift' | 'quality' */
    .addColumn('kind', 'text', (c) => c.notNull())
    /** the feature or metric that crossed its threshold */
    .addColumn('subject', 'text', (c) => c.notNull())
    /** 'psi' | 'ks' | 'acceptance_rate' | 'rmse_ratio' ... */
    .addColumn('statistic', 'text', (c) => c.notNull())
    .addColumn('value', DOUBLE, (c) => c.notNull())
    .addColumn('threshold', DOUBLE, (c) => c.notNull())
    /** 'warning' | 'critical' */
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    /** JSON: windows, sample sizes, snapshots compared */
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute();
  await db.schema.createIndex('monitoring_alerts_created').on('monitoring_alerts').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('monitoring_alerts_model').on('monitoring_alerts').columns(['model_name', 'created_at']).execute();

  await db.schema.createTable('experiments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('arm_a_version', 'integer', (c) => c.notNull())
    .addColumn('arm_b_version', 'integer', (c) => c.notNull())
    /** share of users in arm b, 0..1 */
    .addColumn('split', DOUBLE, (c) => c.notNull())
    /** 'running' | 'stopped' */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('stopped_at', 'text')
    .addColumn('started_by', 'text', (c) => c.notNull())
    /** JSON of the decision made when stopped (winner, estimates, intervals) */
    .addColumn('decision', 'text')
    .execute();
  await db.schema.createIndex('experiments_model_status').on('experiments').columns(['model_name', 'status']).execute();

  await withId(db, db.schema.createTable('retrain_decisions'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('champion_version', 'integer')
    .addColumn('challenger_version', 'integer')
    /** 'promoted' | 'kept_champion' */
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('champion_value', DOUBLE)
    .addColumn('challenger_value', DOUBLE)
    .addColumn('margin', DOUBLE, (c) => c.notNull())
    /** what asked for it: 'cli' | 'schedule' | 'alert:<id>' */
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('retrain_decisions_model').on('retrain_decisions').columns(['model_name', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('retrain_decisions').execute();
  await db.schema.dropTable('experiments').execute();
  await db.schema.dropTable('monitoring_alerts').execute();
}
