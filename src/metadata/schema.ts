// Table types of the metadata database, one interface per table. Each domain (lake catalog,
// tracking, registry) declares its tables here and creates them in a migration.
import type { Generated } from 'kysely';

export interface LakeTableRow {
  id: Generated<number>;
  zone: string;
  name: string;
  created_at: string;
  /** latest committed snapshot id; 0 before the first commit */
  current_snapshot: number;
}

export interface LakeSnapshotRow {
  table_id: number;
  snapshot_id: number;
  parent_id: number | null;
  /** 'append' | 'compact' | 'replace' */
  operation: string;
  committed_at: string;
  added_files: number;
  removed_files: number;
  added_rows: number;
  total_rows: number;
  /** free-form JSON: segment ids committed, writer, etc. */
  summary: string;
}

export interface LakeFileRow {
  id: Generated<number>;
  table_id: number;
  path: string;
  partition: string;
  rows: number;
  bytes: number;
  added_in: number;
  /** snapshot that removed it (compaction); null while live */
  removed_in: number | null;
  /**
   * A delete file (migration 007): the data file whose row positions it lists as deleted; null
   * for a data file. Its `rows` are the positions it deletes.
   */
  deletes_of: string | null;
}

/** Idempotence of the flusher: a write-ahead segment is committed once, whatever happens. */
export interface LakeCommittedSegmentRow {
  segment: string;
  committed_at: string;
}

export interface Database extends TrackingTables, MonitoringTables, PipelineTables, StreamTables {
  lake_tables: LakeTableRow;
  lake_snapshots: LakeSnapshotRow;
  lake_files: LakeFileRow;
  lake_committed_segments: LakeCommittedSegmentRow;
}

// ---- tracking (runs) and model registry: migration 002_tracking ----

export interface TrackingRunRow {
  /** 32 hex characters */
  id: string;
  pipeline: string;
  step: string | null;
  /** 'running' | 'finished' | 'failed' */
  status: string;
  parent_run_id: string | null;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  code_version: string | null;
  /** error message of a failed run */
  error: string | null;
}

export interface TrackingParamRow {
  run_id: string;
  key: string;
  /** the value as text (strings as is, other values as JSON) */
  value: string;
  /** the value when it is a number, for numeric search filters */
  num_value: number | null;
}

/** Every logged point of every metric: the curves. */
export interface TrackingMetricRow {
  id: Generated<number>;
  run_id: string;
  key: string;
  /** null stands for NaN (SQLite cannot store NaN) */
  value: number | null;
  step: number;
  logged_at: string;
}

/** The last point (highest step) of each metric of a run: what search and compare read. */
export interface TrackingLatestMetricRow {
  run_id: string;
  key: string;
  value: number | null;
  step: number;
  logged_at: string;
}

export interface TrackingTagRow {
  run_id: string;
  key: string;
  value: string;
}

export interface TrackingStageRow {
  run_id: string;
  seq: number;
  name: string;
  started_at: string;
  duration_ms: number;
  /** 'finished' | 'failed' */
  status: string;
}

export interface TrackingArtifactRow {
  run_id: string;
  name: string;
  /** relative to TRIBUTARY_HOME, so a home can move */
  path: string;
  sha256: string;
  size: number;
  created_at: string;
}

export interface RegisteredModelRow {
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
  /** highest version number allocated; the row is locked while allocating the next */
  latest_version: number;
}

export interface ModelVersionRow {
  model_name: string;
  version: number;
  created_at: string;
  created_by: string;
  run_id: string | null;
  /** estimator kind from the artifact JSON, when it has one */
  kind: string | null;
  /** relative to TRIBUTARY_HOME */
  artifact_path: string;
  artifact_sha256: string;
  artifact_size: number;
  /** JSON objects */
  metrics: string;
  params: string;
  lineage: string;
  code_version: string;
  config_hash: string | null;
  seed: number | null;
  /** generated markdown model card */
  card: string;
}

/** Lake snapshots a version was trained on, one row each, so lineage can be queried backwards. */
export interface ModelVersionInputRow {
  model_name: string;
  version: number;
  table_name: string;
  snapshot: number;
}

export interface ModelAliasRow {
  model_name: string;
  /** 'champion' | 'challenger' */
  alias: string;
  version: number;
  updated_at: string;
}

export interface ModelAliasHistoryRow {
  id: Generated<number>;
  model_name: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  /** 'register' (first version) | 'promote' | 'rollback' */
  action: string;
  changed_by: string;
  reason: string | null;
  at: string;
}

export interface TrackingTables {
  tracking_runs: TrackingRunRow;
  tracking_params: TrackingParamRow;
  tracking_metrics: TrackingMetricRow;
  tracking_latest_metrics: TrackingLatestMetricRow;
  tracking_tags: TrackingTagRow;
  tracking_stages: TrackingStageRow;
  tracking_artifacts: TrackingArtifactRow;
  registered_models: RegisteredModelRow;
  model_versions: ModelVersionRow;
  model_version_inputs: ModelVersionInputRow;
  model_aliases: ModelAliasRow;
  model_alias_history: ModelAliasHistoryRow;
}

// ---- monitoring alerts, A/B experiments, retraining decisions: migration 005_monitoring ----

export interface MonitoringAlertRow {
  id: Generated<number>;
  created_at: string;
  model_name: string;
  model_version: number | null;
  kind: string;
  subject: string;
  statistic: string;
  value: number;
  threshold: number;
  severity: string;
  message: string;
  details: string;
  resolved_at: string | null;
}

export interface ExperimentRow {
  id: string;
  model_name: string;
  arm_a_version: number;
  arm_b_version: number;
  split: number;
  status: string;
  started_at: string;
  stopped_at: string | null;
  started_by: string;
  decision: string | null;
}

export interface RetrainDecisionRow {
  id: Generated<number>;
  at: string;
  model_name: string;
  champion_version: number | null;
  challenger_version: number | null;
  outcome: string;
  metric: string;
  champion_value: number | null;
  challenger_value: number | null;
  margin: number;
  trigger: string;
  details: string;
}

export interface MonitoringTables {
  monitoring_alerts: MonitoringAlertRow;
  experiments: ExperimentRow;
  retrain_decisions: RetrainDecisionRow;
}

// ---- the jobs layer (src/pipeline/): migration 004_pipelines ----

export interface PipelineRunRow {
  /** the tracking run of the whole pipeline run */
  run_id: string;
  pipeline: string;
  /** 'running' | 'finished' | 'failed' */
  status: string;
  /** 'incremental' | 'full' */
  mode: string;
  /** the run this one resumes (its finished steps are reused) */
  resumed_from: string | null;
  started_at: string;
  ended_at: string | null;
  /** JSON: the adaptive layout chosen for the run (threads, file sizes, row groups, partitions) */
  layout: string;
  error: string | null;
}

export interface PipelineStepRow {
  run_id: string;
  step: string;
  /** 'finished' | 'failed' */
  status: string;
  child_run_id: string | null;
  /** JSON { table: snapshot } committed by the step */
  outputs: string;
  /** JSON: rows in/out, files and partitions read/written, seconds, peak memory */
  stats: string;
  ended_at: string | null;
}

export interface PipelineWatermarkRow {
  pipeline: string;
  step: string;
  /** the input lake table */
  input: string;
  /** the input's snapshot the step last consumed */
  snapshot: number;
  run_id: string;
  updated_at: string;
}

export interface PipelineLeaseRow {
  pipeline: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
}

export interface PipelineScheduleClaimRow {
  pipeline: string;
  /** the cron slot (ISO minute) this claim is for */
  due_at: string;
  claimed_by: string;
  claimed_at: string;
  /** 'running' | 'finished' | 'failed' | 'skipped' */
  status: string;
  run_id: string | null;
  error: string | null;
}

export interface PipelineTables {
  pipeline_runs: PipelineRunRow;
  pipeline_steps: PipelineStepRow;
  pipeline_watermarks: PipelineWatermarkRow;
  pipeline_leases: PipelineLeaseRow;
  pipeline_schedule_claims: PipelineScheduleClaimRow;
}

// ---- the streaming use case: migration 006_stream ----

export interface StreamStateRow { name: string; state: string; updated_at: string }
export interface StreamPersonRow {
  event_id: string;
  ts: string;
  person_id: string;
  name: string;
  age: number;
  city: string;
  country: string | null;
  income: number;
  job: string | null;
}
export interface StreamNormalizedRow {
  event_id: string;
  ts: string;
  person_id: string;
  age: number;
  income: number;
  age_z: number;
  income_z: number;
  n: number;
}
export interface StreamPredictionRow {
  request_id: string;
  ts: string;
  age: number;
  predicted_income: number | null;
  model_version: number | null;
  latency_ms: number;
  status: string;
  via: string;
}

export interface StreamTables {
  stream_state: StreamStateRow;
  stream_people: StreamPersonRow;
  stream_people_normalized: StreamNormalizedRow;
  stream_predictions: StreamPredictionRow;
}
