// One validated configuration object, from environment variables and an optional
// tributary.config.json in the working directory (env wins). Every module takes what it needs
// from here rather than reading process.env itself.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

export const ConfigSchema = z.object({
  /** all state: lake, metadata database, write-ahead segments */
  home: z.string().min(1),
  /** PostgreSQL URL for the metadata database; SQLite under home when absent */
  databaseUrl: z.string().url().optional(),
  /** NATS JetStream URL for the bus; in-process when absent */
  natsUrl: z.string().optional(),
  /** bearer token for write endpoints; when absent the API binds to 127.0.0.1 only */
  apiToken: z.string().min(8).regex(/^\S+$/, 'must be at least 8 characters with no spaces (a token of blanks is no secret)').optional(),
  /** optional bearer token for the read routes (predictions, segments, recommendations), which write audit rows */
  readToken: z.string().min(8).regex(/^\S+$/, 'must be at least 8 characters with no spaces').optional(),
  /** optional requests per minute per client (its token, else its address); off when absent */
  rateLimit: z.coerce.number().int().min(1).optional(),
  host: z.string().optional(),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /**
   * The collector's write-ahead log seals a segment (which the flusher turns into one Parquet
   * file per table and day) once it holds this many bytes or is this many ms old: smaller or
   * sooner means fresher lake tables and more small files for compaction to merge. Unset: the
   * log's own defaults (64 MB, 5 s; the demo seals at 512 KB unless this is set).
   */
  walSegmentBytes: z.coerce.number().int().min(4096).optional(),
  walSegmentMs: z.coerce.number().int().min(50).optional(),
  /** share of inference requests written to the audit log, 0..1 */
  auditSampling: z.coerce.number().min(0).max(1).default(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** the closed loop: drift thresholds, retraining margin, A/B decision rule (docs/monitoring.md) */
  monitoring: z.object({
    /** PSI above this raises a warning, above psiCritical a critical alert */
    psiWarning: z.number().positive().default(0.1),
    psiCritical: z.number().positive().default(0.25),
    /** KS statistic above this raises a warning (with at least minRows on each side) */
    ksWarning: z.number().positive().max(1).default(0.1),
    /** fewer recent rows than this: no drift verdict (too little to say) */
    minRows: z.number().int().positive().default(200),
    /** the recent window monitoring compares with the training snapshot, in days */
    recentDays: z.number().int().positive().default(7),
    /** live quality: an acceptance rate below this (once minShown tracks were shown) alerts */
    acceptanceMin: z.number().min(0).max(1).default(0.05),
    minShown: z.number().int().positive().default(500),
    /** realised spend: RMSE above this multiple of the training RMSE alerts */
    rmseRatioMax: z.number().positive().default(1.5),
  }).prefault({}),
  retrain: z.object({
    /** a challenger must beat the champion by this relative margin to be promoted */
    margin: z.number().min(0).max(1).default(0.02),
  }).prefault({}),
  experiments: z.object({
    /** the A/B decision rule's two-sided false-positive rate */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** fewer users than this in an arm: no decision yet */
    minUsersPerArm: z.number().int().positive().default(30),
  }).prefault({}),
  /** `tributary schedule`: pipelines run on cron expressions (UTC; 5 fields, or 6 with seconds first) */
  schedules: z.array(z.object({
    pipeline: z.string().min(1),
    cron: z.string().min(1),
    /** slots missed while no scheduler ran: run the newest once (default), all of them, or none */
    missed: z.enum(['once', 'all', 'skip']).default('once'),
    /** rebuild instead of an incremental run */
    full: z.boolean().default(false),
    /** the pipeline's own options */
    args: z.record(z.string(), z.unknown()).default({}),
  })).default([]),
});

export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const file = resolve('tributary.config.json');
  const fromFile = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const fromEnv = {
    home: env.TRIBUTARY_HOME,
    databaseUrl: env.DATABASE_URL || undefined,
    natsUrl: env.NATS_URL || undefined,
    apiToken: env.TRIBUTARY_API_TOKEN || undefined,
    readToken: env.TRIBUTARY_READ_TOKEN || undefined,
    rateLimit: env.TRIBUTARY_RATE_LIMIT || undefined,
    host: env.TRIBUTARY_HOST || undefined,
    port: env.PORT,
    auditSampling: env.TRIBUTARY_AUDIT_SAMPLING,
    walSegmentBytes: env.TRIBUTARY_WAL_SEGMENT_BYTES || undefined,
    walSegmentMs: env.TRIBUTARY_WAL_SEGMENT_MS || undefined,
    logLevel: env.LOG_LEVEL,
  };
  const merged = { home: '.tributary', ...fromFile, ...dropUndefined(fromEnv), ...dropUndefined(overrides) };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  return { ...parsed.data, home: resolve(parsed.data.home) };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
