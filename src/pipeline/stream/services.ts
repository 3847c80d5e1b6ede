// The four services of the streaming use case, each runnable as its own process
// (`tributary stream generator|normalizer|trainer|consumer`) or all in one (the laptop demo on
// the in-process bus). They talk only through the bus:
//   generator  --<ns>.people.raw-->  normalizer  --<ns>.people.normalized-->  trainer
//   consumer   --request <ns>.predict-->  trainer (also POST /v1/predict on the trainer)
// Every record they make also goes to the lake (raw.person, curated.person_normalized,
// inference.stream_predictions: through the JetStream ingest stream in scale-out mode) and, when
// the metadata database is PostgreSQL, to its stream_* tables. Each serves /healthz, /metrics
// (Prometheus: records, errors, latency) and /v1/status (the same figures as JSON).
import { randomUUID } from 'node:crypto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { decodeJson, encodeJson, ensureReplicatedStream, type Bus, type Subscription } from '../../bus/types.ts';
import { announcePromotion } from '../../bus/promotions.ts';
import type { RecordSink } from '../../lake/lake.ts';
import type { WalRecord } from '../../lake/wal.ts';
import type { MetaStore } from '../../metadata/db.ts';
import { nowIso } from '../../metadata/db.ts';
import { peopleStream } from '../../events/generators/people.ts';
import { eventTable } from '../../events/lake-schema.ts';
import type { PersonEvent } from '../../events/schemas.ts';
import { ModelRegistry } from '../../tracking/index.ts';
import { loadEstimator } from '../../ml/registry.ts';
import { StreamNormalizer, type NormalizerState } from '../../analytics/stream/normalizer.ts';
import { WindowTrainer, type WindowTrainerOptions } from '../../analytics/stream/trainer.ts';
import { TrainerThread } from './trainer-thread.ts';
import { NORMALIZED_TABLE, PREDICTIONS_TABLE, PredictRequest, type NormalizedPerson, type PredictionRecord } from '../../analytics/stream/records.ts';

export const STREAM_SERVICES = ['generator', 'normalizer', 'trainer', 'consumer'] as const;
export type StreamServiceName = (typeof STREAM_SERVICES)[number];
export const STREAM_MODEL = 'stream-income';

/** What every service is given: the bus, where lake records go, the metadata database. */
export interface StreamEnv {
  bus: Bus;
  sink: RecordSink;
  store: MetaStore;
  home: string;
  /** the metadata database's URL when it is PostgreSQL (threads open their own connection) */
  databaseUrl?: string;
  /** subject and stream prefix (several pipelines can share one NATS) */
  ns: string;
  log: (m: string) => void;
}

export const subjects = (ns: string) => ({
  stream: `${ns.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_PEOPLE`,
  raw: `${ns}.people.raw`,
  normalized: `${ns}.people.normalized`,
  predict: `${ns}.predict`,
});

/** The people stream: raw and normalized records, kept an hour for late consumers. */
export async function ensurePeopleStream(env: Pick<StreamEnv, 'bus' | 'ns'>): Promise<void> {
  const s = subjects(env.ns);
  await ensureReplicatedStream(env.bus, { name: s.stream, subjects: [s.raw, s.normalized], retention: 'limits', maxAgeMs: 3_600_000 });
}

/** Counts, errors and latencies of one service, as Prometheus metrics and as /v1/status figures. */
export class ServiceStats {
  records = 0;
  errors = 0;
  private readonly lat = new Float64Array(4096);
  private latN = 0;
  private readonly window: { t: number; n: number }[] = [];
  private readonly counter: Counter;
  private readonly errorCounter: Counter;
  private readonly histogram: Histogram;

  constructor(readonly name: string, registry: Registry, readonly latencyHelp: string) {
    this.counter = new Counter({ name: 'tributary_stream_records_total', help: 'records this service handled', registers: [registry] });
    this.errorCounter = new Counter({ name: 'tributary_stream_errors_total', help: 'records or requests that failed', registers: [registry] });
    this.histogram = new Histogram({
      name: 'tributary_stream_latency_seconds', help: latencyHelp, registers: [registry],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
  }

  ok(n: number, latencyMs?: number[]): void {
    this.records += n;
    this.counter.inc(n);
    for (const ms of latencyMs ?? []) { this.lat[this.latN++ % this.lat.length] = ms; this.histogram.observe(ms / 1000); }
    const now = Date.now();
    this.window.push({ t: now, n });
    while (this.window.length && now - this.window[0]!.t > 5000) this.window.shift();
  }

  fail(n = 1): void { this.errors += n; this.errorCounter.inc(n); }

  /** records per second over the last five seconds */
  rate(): number {
    const now = Date.now();
    const recent = this.window.filter((w) => now - w.t <= 5000);
    return recent.reduce((a, w) => a + w.n, 0) / 5;
  }

  latency(): { p50: number | null; p99: number | null } {
    const n = Math.min(this.latN, this.lat.length);
    if (n === 0) return { p50: null, p99: null };
    const s = this.lat.slice(0, n).sort();
    return { p50: +s[Math.floor(0.5 * (n - 1))]!.toFixed(3), p99: +s[Math.floor(0.99 * (n - 1))]!.toFixed(3) };
  }

  status(): Record<string, unknown> {
    return { records: this.records, errors: this.errors, rate_per_s: +this.rate().toFixed(1), latency_ms: this.latency() };
  }
}

export interface RunningService {
  name: StreamServiceName;
  stats: ServiceStats;
  /** extra figures for /v1/status */
  extra(): Record<string, unknown>;
  /** POST routes of the service's HTTP face */
  post?: Record<string, (body: unknown) => Promise<unknown>>;
  /** null when healthy */
  health(): string | null;
  stop(): Promise<void>;
}

const dtOf = (ts: string) => ts.slice(0, 10);
/** lets the callbacks already queued (requests waiting for an answer) run first */
const yieldToQueued = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Saves a service's state in the metadata database (one row per service and namespace). */
export async function saveState(store: MetaStore, name: string, state: unknown): Promise<void> {
  const row = { name, state: JSON.stringify(state), updated_at: nowIso() };
  await store.db.insertInto('stream_state').values(row)
    .onConflict((oc) => oc.column('name').doUpdateSet({ state: row.state, updated_at: row.updated_at })).execute();
}

export async function loadState<T>(store: MetaStore, name: string): Promise<T | undefined> {
  const r = await store.db.selectFrom('stream_state').select('state').where('name', '=', name).executeTakeFirst();
  return r ? JSON.parse(r.state) as T : undefined;
}

/** Batches records for the lake (and PostgreSQL) so each service does not append one by one. */
class RecordWriter {
  private lake: WalRecord[] = [];
  private rows: Record<string, unknown>[] = [];
  private timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  failures = 0;

  constructor(private readonly env: StreamEnv, private readonly pgTable: 'stream_people' | 'stream_people_normalized' | 'stream_predictions') {
    this.timer = setInterval(() => { void this.flush(); }, 500);
    this.timer.unref();
  }

  add(table: string, record: { ts: string }, row: Record<string, unknown>): void {
    this.lake.push({ table, dt: dtOf(record.ts), json: JSON.stringify(record) });
    if (this.env.store.dialect === 'postgres') this.rows.push(row);
  }

  /** Writes what is gathered; resolves once the lake sink has it durably. */
  flush(): Promise<void> {
    const lake = this.lake.splice(0), rows = this.rows.splice(0);
    this.flushing = this.flushing.then(async () => {
      try {
        if (lake.length) await this.env.sink.append(lake);
        for (let i = 0; i < rows.length; i += 500) {
          await this.env.store.db.insertInto(this.pgTable).values(rows.slice(i, i + 500) as never).onConflict((oc) => oc.doNothing()).execute();
        }
      } catch (e) {
        this.failures++;
        this.env.log(`${this.pgTable}: writing ${lake.length} records failed: ${(e as Error).message}`);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

export interface ServiceRegistryRef { registry: Registry }

// ---------------------------------------------------------------- generator

export async function startGenerator(env: StreamEnv, reg: Registry, opts: { rate: number; seed?: number }): Promise<RunningService> {
  if (!(opts.rate > 0)) throw new Error(`rate: records per second must be above 0, got ${opts.rate}`);
  await ensurePeopleStream(env);
  const s = subjects(env.ns);
  const stats = new ServiceStats('generator', reg, 'time for the bus to store a published record');
  const writer = new RecordWriter(env, 'stream_people');
  const people = peopleStream({ seed: opts.seed ?? Date.now() % 2 ** 31, start: Date.now(), intervalMs: 0 });
  let running = true;
  let inFlight = 0;
  const startedAt = Date.now();
  let sent = 0;
  const loop = (async () => {
    while (running) {
      const due = Math.floor(((Date.now() - startedAt) / 1000) * opts.rate) - sent;
      const n = Math.min(due, 2000 - inFlight);
      for (let i = 0; i < n; i++) {
        const p = { ...people.next().value as PersonEvent, ts: new Date().toISOString() };
        sent++;
        inFlight++;
        const t0 = performance.now();
        env.bus.publish(s.raw, encodeJson(p), { msgId: p.event_id }).then(() => {
          stats.ok(1, [performance.now() - t0]);
          writer.add(eventTable('person'), p, {
            event_id: p.event_id,
            ts: p.ts,
            person_id: p.person_id,
            name: p.name,
            age: p.age,
            city: p.city,
            country: p.country ?? null,
            income: p.income,
            job: p.job ?? null,
          });
        }, (e: Error) => { stats.fail(); env.log(`generator: publish failed: ${e.message}`); }).finally(() => { inFlight--; });
      }
      await sleep(n > 0 ? 1 : 10);
    }
  })();
  return {
    name: 'generator', stats,
    extra: () => ({ rate_target: opts.rate, in_flight: inFlight }),
    health: () => (stats.errors > 0 && stats.records === 0 ? 'every publish has failed so far' : null),
    async stop() {
      running = false;
      await loop;
      while (inFlight > 0) await sleep(5);
      await writer.close();
    },
  };
}

// ---------------------------------------------------------------- normalizer

export async function startNormalizer(env: StreamEnv, reg: Registry, opts: { batch?: number } = {}): Promise<RunningService & {
  normalizer: StreamNormalizer;
}> {
  await ensurePeopleStream(env);
  const s = subjects(env.ns);
  const stateKey = `${env.ns}.normalizer`;
  const normalizer = StreamNormalizer.restore(await loadState<NormalizerState>(env.store, stateKey));
  if (normalizer.count) env.log(`normalizer: continuing from saved state: ${normalizer.count} records, up to stream sequence ${normalizer.lastSeq}`);
  const stats = new ServiceStats('normalizer', reg, 'time from the raw record stored on the bus to its normalized record stored');
  const writer = new RecordWriter(env, 'stream_people_normalized');
  const gauges = ['age', 'income'].map((f) => new Gauge({ name: `tributary_stream_normalizer_${f}_mean`, help: `running mean of ${f}`, registers: [reg] }));
  const sub: Subscription = await env.bus.consume({
    stream: s.stream, durable: `${env.ns.replace(/\W/g, '_')}_normalizer`, filterSubject: s.raw, batch: opts.batch ?? 200, ackWaitMs: 30_000,
  }, async (msgs) => {
    const batch: { seq: number; person: PersonEvent }[] = [];
    for (const m of msgs) {
      try { batch.push({ seq: m.seq, person: decodeJson<PersonEvent>(m.data) }); } catch { stats.fail(); await m.ack(); }
    }
    const out = normalizer.normalize(batch);
    // publish, then save the state, then acknowledge: a crash in between redelivers records
    // whose sequence the saved state already covers (skipped) or does not (folded in again)
    await Promise.all(out.map((r) => env.bus.publish(s.normalized, encodeJson(r), { msgId: `n-${r.event_id}` })));
    for (const r of out) writer.add(NORMALIZED_TABLE, r, { ...r });
    await saveState(env.store, stateKey, normalizer.state());
    await Promise.all(msgs.map((m) => m.ack()));
    const now = Date.now();
    stats.ok(out.length, msgs.filter((m) => m.seq > 0).map((m) => now - m.storedAt));
    const mean = normalizer.mean;
    gauges.forEach((g, i) => g.set(mean[i]!));
  });
  return {
    name: 'normalizer', stats, normalizer,
    extra: () => ({ count: normalizer.count, mean: Array.from(normalizer.mean), variance: Array.from(normalizer.variance), last_seq: normalizer.lastSeq }),
    health: () => null,
    async stop() { await sub.stop(); await writer.close(); },
  };
}

// ---------------------------------------------------------------- trainer

type Champion = { version: number; predict(frame: { length: number; columns: Map<string, Float64Array> }): Float64Array };

export async function startTrainer(
  env: StreamEnv,
  reg: Registry,
  opts: WindowTrainerOptions & { model?: string } = {},
): Promise<RunningService & { champion(): number | null }> {
  await ensurePeopleStream(env);
  const s = subjects(env.ns);
  const modelName = opts.model ?? STREAM_MODEL;
  const registry = new ModelRegistry(env.store, { home: env.home });
  const trainer = new WindowTrainer(opts);
  const stats = new ServiceStats('trainer', reg, 'time to compute a prediction request');
  const fits = new Counter({ name: 'tributary_stream_fits_total', help: 'models fitted (registered)', registers: [reg] });
  const versionGauge = new Gauge({ name: 'tributary_stream_model_version', help: 'version of the model answering predictions', registers: [reg] });
  let champion: Champion | undefined;
  try {
    const loaded = await registry.loadModel(modelName, 'champion');
    const est = loadEstimator(loaded.artifact, 'Pipeline');
    champion = { version: loaded.version, predict: (f) => est.predict(f) };
    versionGauge.set(loaded.version);
    env.log(`trainer: answering with ${modelName} v${loaded.version} until the next fit`);
  } catch { /* no champion yet */ }
  // fits, registration and promotion run on their own thread (trainer-worker.ts)
  const thread = await TrainerThread.start({ home: env.home, databaseUrl: env.databaseUrl, model: modelName });
  let fitting: Promise<void> = Promise.resolve();
  let lastFit: Record<string, unknown> | null = null;
  const fit = async () => {
    const f = await thread.fit(trainer.take(), trainer.opts);
    fits.inc();
    lastFit = {
      version: f.version,
      rmse: +f.rmse!.toFixed(1),
      champion_rmse: f.championRmse == null ? null : +f.championRmse.toFixed(1),
      promoted: f.promoted,
    };
    if (f.promoted) {
      // the swap is the only work of a fit on this thread, after the answers already queued
      await yieldToQueued();
      const model = loadEstimator(f.model, 'Pipeline');
      const sample = trainer.recentAges(16);
      // a model's first batch lays out its prediction form: done here, not in a request
      model.predict({ length: sample.length, columns: new Map([['age', sample]]) });
      await yieldToQueued();
      champion = { version: f.version!, predict: (fr) => model.predict(fr) as Float64Array };
      versionGauge.set(f.version!);
      await announcePromotion(env.bus, { name: modelName, alias: 'champion', version: f.version! }).catch(() => {});
    }
  };
  const sub = await env.bus.consume({
    stream: s.stream, durable: `${env.ns.replace(/\W/g, '_')}_trainer`, filterSubject: s.normalized, batch: 500, ackWaitMs: 60_000,
  }, async (msgs) => {
    const recs: NormalizedPerson[] = [];
    for (const m of msgs) { try { recs.push(decodeJson<NormalizedPerson>(m.data)); } catch { stats.fail(); } }
    trainer.add(recs);
    await Promise.all(msgs.map((m) => m.ack()));
    if (trainer.due()) {
      fitting = fitting.then(fit).catch((e: Error) => { stats.fail(); env.log(`trainer: fit failed: ${e.message}`); });
      await fitting;
    }
  });
  // a quiet stream still gets its timed refit
  const timer = setInterval(() => { if (trainer.due()) fitting = fitting.then(fit).catch((e: Error) => env.log(`trainer: fit failed: ${e.message}`)); }, 1000);
  timer.unref();
  const predict = (body: unknown): { predictions: number[]; version: number } => {
    const req = PredictRequest.safeParse(body);
    if (!req.success) {
      const i = req.error.issues[0]!;
      throw Object.assign(new Error(`${i.path.join('.') || '(body)'}: ${i.message}`), { statusCode: 400 });
    }
    if (!champion) throw Object.assign(new Error('no model yet: the trainer fits its first one after a window of records'), { statusCode: 503 });
    const t0 = performance.now();
    const age = Float64Array.from(req.data.rows, (r) => r.age);
    const out = champion.predict({ length: age.length, columns: new Map([['age', age]]) });
    stats.ok(age.length, [performance.now() - t0]);
    return { predictions: Array.from(out), version: champion.version };
  };
  const responder = env.bus.respond(s.predict, (data) => {
    try { return encodeJson(predict(decodeJson(data))); } catch (e) { return encodeJson({ error: (e as Error).message }); }
  });
  return {
    name: 'trainer', stats,
    champion: () => champion?.version ?? null,
    extra: () => ({ model: modelName, version: champion?.version ?? null, window_rows: trainer.rows, last_fit: lastFit }),
    post: { '/v1/predict': async (body) => predict(body) },
    health: () => null,
    async stop() { clearInterval(timer); await sub.stop(); await responder.stop(); await fitting; await thread.close(); },
  };
}

// ---------------------------------------------------------------- consumer

export async function startConsumer(
  env: StreamEnv,
  reg: Registry,
  opts: { rate: number; trainerUrl?: string; seed?: number; timeoutMs?: number },
): Promise<RunningService> {
  if (!(opts.rate > 0)) throw new Error(`rate: requests per second must be above 0, got ${opts.rate}`);
  const s = subjects(env.ns);
  const stats = new ServiceStats('consumer', reg, 'prediction round trip: question sent to answer received');
  const writer = new RecordWriter(env, 'stream_predictions');
  let seed = (opts.seed ?? 7) >>> 0;
  const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const via = opts.trainerUrl ? 'http' : 'bus';
  const ask = async (age: number): Promise<{ predictions: number[]; version: number }> => {
    if (opts.trainerUrl) {
      const res = await fetch(`${opts.trainerUrl}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [{ age }] }),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 2000),
      });
      const body = await res.json() as { predictions: number[]; version: number; message?: string };
      if (res.status !== 200) throw new Error(body.message ?? `HTTP ${res.status}`);
      return body;
    }
    const body = decodeJson<{ predictions: number[]; version: number; error?: string }>(await env.bus.request(
      s.predict,
      encodeJson({ rows: [{ age }] }),
      opts.timeoutMs ?? 2000,
    ));
    if (body.error) throw new Error(body.error);
    return body;
  };
  let running = true;
  let inFlight = 0;
  let sent = 0;
  const startedAt = Date.now();
  const loop = (async () => {
    while (running) {
      const n = Math.min(Math.floor(((Date.now() - startedAt) / 1000) * opts.rate) - sent, 256 - inFlight);
      for (let i = 0; i < n; i++) {
        sent++;
        inFlight++;
        const age = 18 + Math.floor(random() * 63);
        const t0 = performance.now();
        const ts = new Date().toISOString();
        const request_id = randomUUID();
        void ask(age).then((r) => {
          const ms = performance.now() - t0;
          stats.ok(1, [ms]);
          const rec: PredictionRecord = {
            request_id,
            ts,
            age,
            predicted_income: r.predictions[0]!,
            model_version: r.version,
            latency_ms: ms,
            status: 'ok',
            via,
          };
          writer.add(PREDICTIONS_TABLE, rec, { ...rec });
        }, (e: Error) => {
          stats.fail();
          const rec: PredictionRecord = {
            request_id,
            ts,
            age,
            predicted_income: null,
            model_version: null,
            latency_ms: performance.now() - t0,
            status: e.message.slice(0, 200),
            via,
          };
          writer.add(PREDICTIONS_TABLE, rec, { ...rec });
        }).finally(() => { inFlight--; });
      }
      await sleep(n > 0 ? 1 : 5);
    }
  })();
  return {
    name: 'consumer', stats,
    extra: () => ({ rate_target: opts.rate, via, in_flight: inFlight }),
    health: () => null,
    async stop() { running = false; await loop; while (inFlight > 0) await sleep(5); await writer.close(); },
  };
}
