// Opens what a streaming service needs and runs it behind its HTTP face: one service per process
// with NATS_URL (`tributary stream NAME`), or the four together in one process on the in-process
// bus (`tributary demo --stream` without NATS_URL).
import { Registry } from 'prom-client';
import type { Config } from '../../config/index.ts';
import { MemoryBus, openBus, type Bus } from '../../bus/index.ts';
import { openMetaStore, type MetaStore } from '../../metadata/db.ts';
import { Lake, type RecordSink } from '../../lake/lake.ts';
import { BusRecordSink, ensureIngestStream } from '../../lake/bus-ingest.ts';
import { eventLakeSchemas } from '../../events/lake-schema.ts';
import { streamLakeSchemas } from '../../analytics/stream/records.ts';
import { startProcessShell } from '../../util/process-shell.ts';
import { reportStatus } from '../../bus/service-status.ts';
import {
  STREAM_SERVICES, startConsumer, startGenerator, startNormalizer, startTrainer, type RunningService, type StreamEnv,
  type StreamServiceName,
} from './services.ts';

export interface StreamServiceOptions {
  /** subject prefix; STREAM_NAMESPACE, default "tributary" */
  ns?: string;
  port?: number;
  /** generator records/s (GENERATOR_RATE) */
  generatorRate?: number;
  /** consumer questions/s (CONSUMER_RATE) */
  consumerRate?: number;
  /** consumer asks the trainer over HTTP at this URL instead of the bus (TRAINER_URL) */
  trainerUrl?: string;
  window?: number;
  every?: number;
  intervalS?: number;
  log?: (m: string) => void;
}

/** Options from the environment, as the use case configures its services. */
export function streamOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StreamServiceOptions {
  const num = (k: string) => {
    const v = env[k];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${k}: expected a positive number, got "${v}"`);
    return n;
  };
  return {
    ns: env.STREAM_NAMESPACE || undefined,
    generatorRate: num('GENERATOR_RATE'), consumerRate: num('CONSUMER_RATE'), trainerUrl: env.TRAINER_URL || undefined,
    window: num('TRAINER_WINDOW'), every: num('TRAINER_EVERY'), intervalS: num('TRAINER_INTERVAL_S'),
  };
}

export interface RunningStreamService {
  service: RunningService;
  url: string;
  close(): Promise<void>;
}

export async function startService(name: StreamServiceName, env: StreamEnv, opts: StreamServiceOptions): Promise<RunningStreamService> {
  const registry = new Registry();
  const service = name === 'generator' ? await startGenerator(env, registry, { rate: opts.generatorRate ?? 200 })
    : name === 'normalizer' ? await startNormalizer(env, registry)
    : name === 'trainer' ? await startTrainer(env, registry, { window: opts.window, every: opts.every, intervalS: opts.intervalS })
    : await startConsumer(env, registry, { rate: opts.consumerRate ?? 20, trainerUrl: opts.trainerUrl });
  const shell = await startProcessShell({
    name: `stream-${name}`, port: opts.port ?? 0,
    health: () => service.health(),
    status: () => ({ ...service.stats.status(), ...service.extra() }),
    post: service.post,
  }, registry);
  const reporting = reportStatus(
    env.bus,
    () => ({ service: `stream-${name}`, pid: process.pid, url: shell.url, ...service.stats.status(), ...service.extra() }),
  );
  return { service, url: shell.url, async close() { reporting.stop(); await service.stop(); await shell.close(); } };
}

interface Opened { env: StreamEnv; close(): Promise<void> }

async function openEnv(config: Config, bus: Bus, opts: StreamServiceOptions): Promise<Opened> {
  const log = opts.log ?? (() => {});
  const store: MetaStore = await openMetaStore({ home: config.home, databaseUrl: config.databaseUrl });
  let sink: RecordSink;
  let lake: Lake | undefined;
  if (bus.kind === 'jetstream') {
    await ensureIngestStream(bus);
    sink = new BusRecordSink(bus);
  } else {
    lake = await Lake.open({ home: config.home, store, log, schemas: { ...eventLakeSchemas(), ...streamLakeSchemas() } });
    sink = lake;
  }
  return {
    env: { bus, sink, store, home: config.home, databaseUrl: config.databaseUrl, ns: opts.ns ?? 'tributary', log },
    async close() { await lake?.close(); await bus.close(); await store.close(); },
  };
}

/** One service in this process, on JetStream (NATS_URL). */
export async function runStreamService(name: StreamServiceName, config: Config, opts: StreamServiceOptions): Promise<RunningStreamService> {
  if (!config.natsUrl) {
    throw new Error(`tributary stream ${name} runs as its own process and needs NATS_URL (a NATS server with ` +
      `JetStream); \`tributary demo --stream\` runs all four in one process without it`);
  }
  const bus = await openBus({ natsUrl: config.natsUrl, name: `tributary-stream-${name}-${process.pid}` });
  const opened = await openEnv(config, bus, opts);
  const s = await startService(name, opened.env, opts);
  return { ...s, async close() { await s.close(); await opened.close(); } };
}

/** The four services in this process on the in-process bus. */
export async function runStreamInProcess(config: Config, opts: StreamServiceOptions): Promise<{ services: RunningStreamService[]; close(): Promise<void> }> {
  const opened = await openEnv(config, new MemoryBus(), opts);
  const services: RunningStreamService[] = [];
  // downstream first, so nothing published is waiting for its consumer to exist
  for (const name of ['trainer', 'normalizer', 'consumer', 'generator'] as const) services.push(await startService(name, opened.env, opts));
  services.sort((a, b) => STREAM_SERVICES.indexOf(a.service.name) - STREAM_SERVICES.indexOf(b.service.name));
  return {
    services,
    async close() {
      for (const s of [...services].reverse()) await s.close();
      await opened.close();
    },
  };
}
