// Registry and tracking latencies at scale: 10,000 runs (1,000 searches of 9 trials each, with
// params, metric curves and tags) and 1,000 model versions (20 models x 50, registered through
// the API with promotions), in a temp home on SQLite and, when reachable, PostgreSQL. Measures
// p50/p99 of the reads the CLI, dashboard and serving do. There is no Python anchor: MLflow is
// not installed on this machine and nothing is downloaded, so the figures stand alone.
//   npm run bench -- registry [--runs N] [--versions M] [--reps R] [--pg URL|--no-pg]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { openMetaStore, sql, type MetaStore } from '../src/metadata/db.ts';
import { ModelRegistry, Tracker, codeVersion } from '../src/tracking/index.ts';
import { Rng } from '../src/ml/core/rng.ts';
import { report, timeIt } from './lib.ts';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const N_RUNS = Number(arg('runs', '10000'));
const N_VERSIONS = Number(arg('versions', '1000'));
const REPS = Number(arg('reps', '200'));
const PG_URL = arg('pg', process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const MODELS = 20;
const TRIALS = 9;
const CURVE = 10;

function percentiles(ms: number[]): { p50_ms: number; p99_ms: number; mean_ms: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50_ms: at(0.5), p99_ms: at(0.99), mean_ms: s.reduce((a, b) => a + b, 0) / s.length };
}

async function measure(reps: number, fn: (i: number) => Promise<unknown>): Promise<ReturnType<typeof percentiles>> {
  for (let i = 0; i < Math.min(10, reps); i++) await fn(i); // warm caches and prepared plans
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return percentiles(ms);
}

/**
 * Seeds runs with the rows the Tracker writes (same tables, same encodings), in batches: going
 * through startRun/logMetric one call at a time would take minutes on PostgreSQL and measure
 * round trips, not the reads this benchmark is about. API write cost is measured separately.
 */
async function seedRuns(store: MetaStore, n: number): Promise<{ parents: string[] }> {
  const rng = new Rng(7);
  const base = Date.parse('2026-01-01T00:00:00Z');
  const code = codeVersion();
  const runs: any[] = [], params: any[] = [], metrics: any[] = [], latest: any[] = [], tags: any[] = [];
  const parents: string[] = [];
  let parent = '';
  for (let i = 0; i < n; i++) {
    const id = randomUUID().replace(/-/g, '');
    const isParent = i % (TRIALS + 1) === 0;
    if (isParent) { parent = id; parents.push(id); }
    const started = new Date(base + i * 1000).toISOString();
    const depth = 2 + rng.int(9);
    const lr = [0.01, 0.03, 0.1, 0.3][rng.int(4)]!;
    runs.push({
      id, pipeline: ['retail', 'recsys', 'churn'][i % 3], step: isParent ? 'search' : 'trial', status: rng.random() < 0.05 ? 'failed' : 'finished',
      parent_run_id: isParent ? null : parent, started_at: started, ended_at: new Date(base + i * 1000 + 900).toISOString(), duration_ms: 900,
      code_version: code, error: null,
    });
    for (const [key, v] of [
      ['depth', depth],
      ['lr', lr],
      ['n_estimators', 100 * (1 + rng.int(5))],
      ['seed', i],
      ['model', rng.random() < 0.5 ? 'gbt' : 'forest'],
    ] as const) {
      params.push({ run_id: id, key, value: String(v), num_value: typeof v === 'number' ? v : null });
    }
    const final = 0.1 + rng.random();
    for (let s = 0; s < CURVE; s++) {
      const v = final * (1 + (CURVE - 1 - s) * 0.1);
      metrics.push({ run_id: id, key: 'rmse', value: v, step: s, logged_at: started });
    }
    latest.push({ run_id: id, key: 'rmse', value: final, step: CURVE - 1, logged_at: started });
    latest.push({ run_id: id, key: 'r2', value: 1 - final / 2, step: 0, logged_at: started });
    metrics.push({ run_id: id, key: 'r2', value: 1 - final / 2, step: 0, logged_at: started });
    tags.push({ run_id: id, key: 'team', value: ['ads', 'growth', 'core'][rng.int(3)] });
  }
  const insert = async (table: any, rows: any[]) => {
    const chunk = 500;
    for (let i = 0; i < rows.length; i += chunk) await store.db.insertInto(table).values(rows.slice(i, i + chunk)).execute();
  };
  await insert('tracking_runs', runs);
  await insert('tracking_params', params);
  await insert('tracking_metrics', metrics);
  await insert('tracking_latest_metrics', latest);
  await insert('tracking_tags', tags);
  return { parents };
}

async function bench(label: string, store: MetaStore, home: string): Promise<void> {
  const tracker = new Tracker(store, { home });
  const registry = new ModelRegistry(store, { home, checkSnapshots: false });
  const seed = await timeIt(() => seedRuns(store, N_RUNS));
  // fresh statistics, as autovacuum (PG) or a periodic ANALYZE (SQLite) would give a live system
  await sql`ANALYZE`.execute(store.db);

  // versions go through the API: artifact file, sha256, lock, version allocation, card
  const perModel = Math.ceil(N_VERSIONS / MODELS);
  const rng = new Rng(11);
  const reg = await timeIt(async () => {
    let made = 0;
    for (let v = 0; v < perModel; v++) {
      for (let m = 0; m < MODELS && made < N_VERSIONS; m++, made++) {
        const state = { coef: Array.from({ length: 50 }, () => rng.normal()), intercept: rng.normal() };
        await registry.registerModel(`model-${m}`, {
          artifact: { kind: 'Ridge', format: 1, params: { alpha: 1 }, state }, metrics: { rmse: rng.random() }, params: { alpha: 1 },
          lineage: { seed: v, config: { m, v } }, by: 'bench',
        });
      }
    }
    return made;
  });
  const promos = await measure(100, (i) => registry.promote(`model-${i % MODELS}`, 1 + ((i * 7) % perModel), { by: 'bench', reason: 'bench' }));
  const apiRuns = await measure(REPS, async (i) => {
    const run = await tracker.startRun({ pipeline: 'api', params: { depth: i % 9, lr: 0.1 }, tags: { team: 'ads' } });
    await run.logMetrics({ rmse: 1 / (i + 1), r2: 0.5 });
    await run.end();
  });

  const rows = [];
  const row = (name: string, r: ReturnType<typeof percentiles>, extra: Record<string, unknown> = {}) =>
    rows.push({ name: `${label}: ${name}`, ...r, ...extra });
  let tokens: (string | undefined)[] = [undefined];
  row('list runs, newest page of 50', await measure(REPS, () => tracker.listRuns({ limit: 50 })));
  {
    let tok: string | undefined;
    for (let p = 0; p < 20; p++) tok = (await tracker.listRuns({ limit: 50, pageToken: tok })).nextPageToken;
    tokens = [tok];
  }
  row('list runs, page 21 (keyset token)', await measure(REPS, () => tracker.listRuns({ limit: 50, pageToken: tokens[0] })));
  row('list runs of one pipeline, top-level only', await measure(REPS, () => tracker.listRuns({ limit: 50, pipeline: 'retail', parentRunId: null })));
  let hits = 0;
  row(
    'search: metrics.rmse < 0.15',
    await measure(REPS, async () => { hits = (await tracker.listRuns({ limit: 50, filter: 'metrics.rmse < 0.15' })).runs.length; }),
    { hits },
  );
  row(
    'search: params.depth = 6 and metrics.rmse < 0.5',
    await measure(REPS, async () => { hits = (await tracker.listRuns({ limit: 50, filter: 'params.depth = 6 and metrics.rmse < 0.5' })).runs.length; }),
    { hits },
  );
  row(
    "search: params.model = 'gbt' and tags.team = 'ads' and status = 'failed'",
    await measure(REPS, async () => {
      hits = (await tracker.listRuns({ limit: 50, filter: "params.model = 'gbt' and tags.team = 'ads' and status = 'failed'" })).runs.length;
    }),
    { hits },
  );
  const ids = (await tracker.listRuns({ limit: 5 })).runs.map((r) => r.id);
  row('get run (detail)', await measure(REPS, (i) => tracker.getRun(ids[i % ids.length]!)));
  row('get model champion', await measure(REPS * 5, (i) => registry.getChampionVersion(`model-${i % MODELS}`)));
  row('list versions (page of 50)', await measure(REPS, (i) => registry.listVersions(`model-${i % MODELS}`, { limit: 50 })));
  row('load champion (read + sha256 verify)', await measure(REPS, (i) => registry.loadModel(`model-${i % MODELS}`)));
  row('list models', await measure(REPS, () => registry.listModels()));
  row('write: promote (locked transaction)', promos);
  row('write: run via API (start+metrics+end)', apiRuns);
  rows.push({ name: `${label}: seed ${N_RUNS} runs (batched)`, p50_ms: NaN, p99_ms: NaN, mean_ms: seed.s * 1000 });
  rows.push({ name: `${label}: register ${reg.value} versions via API`, p50_ms: NaN, p99_ms: NaN, mean_ms: (reg.s * 1000) / reg.value, total_s: reg.s });
  report(`registry ${label} (${N_RUNS} runs, ${N_VERSIONS} versions)`, rows);
}

const home = mkdtempSync(join(tmpdir(), 'tributary-registry-bench-'));
try {
  const store = await openMetaStore({ home });
  try { await bench('sqlite', store, home); } finally { await store.close(); }
} finally {
  rmSync(home, { recursive: true, force: true });
}

if (!process.argv.includes('--no-pg')) {
  const probe = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  const up = await probe.connect().then(() => true, () => false);
  if (up) await probe.end();
  if (!up) {
    console.log(`\nPostgreSQL not reachable at ${PG_URL}: skipped`);
  } else {
    const schema = `bench_registry_${randomBytes(4).toString('hex')}`;
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    const pgHome = mkdtempSync(join(tmpdir(), 'tributary-registry-bench-pg-'));
    try {
      const store = await openMetaStore({ home: pgHome, databaseUrl: url.toString() });
      try { await bench('postgres', store, pgHome); } finally { await store.close(); }
    } finally {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
      rmSync(pgHome, { recursive: true, force: true });
    }
  }
}
