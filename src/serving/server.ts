// Opens everything the API needs (metadata database, lake with replay, the registry's champions,
// online features, the audit log), builds the app and listens. Without an API token it binds to
// 127.0.0.1 only and says so.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import { openMetaStore } from '../metadata/db.ts';
import { Lake } from '../lake/lake.ts';
import { eventLakeSchemas } from '../events/lake-schema.ts';
import { ModelRegistry } from '../tracking/index.ts';
import { buildApp } from './app.ts';
import { openBus, type Bus } from '../bus/index.ts';
import { onPromotion } from '../bus/promotions.ts';
import { ServiceBoard } from '../bus/service-status.ts';
import { BusRecordSink, INGEST_STREAM, ensureIngestStream } from '../lake/bus-ingest.ts';
import { AUDIT_TABLE, AuditLog, auditColumns } from './audit.ts';
import type { AppContext } from './context.ts';
import { createMetrics, type ApiMetrics } from './metrics.ts';
import { alertCounts } from '../monitoring/alerts.ts';
import { ModelHost } from './model-host.ts';
import { OnlineFeatures } from './online-features.ts';
import { SEGMENT_MODEL, SPEND_MODEL } from './servables.ts';

export interface RunningServer {
  app: FastifyInstance & { metrics: ApiMetrics };
  ctx: AppContext;
  url: string;
  /** where to point a person or a scraper */
  urls: { api: string; docs: string; openapi: string; metrics: string; health: string; models: string };
  /** the routes served, "METHOD /path" (app and routes change when new model endpoints appear) */
  routes: string[];
  close(): Promise<void>;
}

export interface ServerOptions {
  logger?: boolean;
  log?: (m: string) => void;
  /** registry polling interval for promotions (ms, default 1000) */
  pollMs?: number;
  /** how often the online features' source snapshot is checked (ms, default 5000) */
  featureRefreshMs?: number;
}

export async function openContext(config: Config, log: (m: string) => void = () => {}): Promise<AppContext> {
  const store = await openMetaStore({ home: config.home, databaseUrl: config.databaseUrl });
  // scale-out (NATS_URL): accepted events are made durable in a replicated JetStream stream
  // that lake writers (`tributary lake writer`) turn into Parquet; no local write-ahead log
  let bus: Bus | undefined;
  let sink: BusRecordSink | undefined;
  if (config.natsUrl) {
    bus = await openBus({ natsUrl: config.natsUrl, name: `tributary-api-${process.pid}` });
    await ensureIngestStream(bus);
    sink = new BusRecordSink(bus);
    log(`scale-out: events go to JetStream stream ${INGEST_STREAM} at ${config.natsUrl}`);
  }
  const lake = await Lake.open({
    home: config.home, store, schemas: { ...eventLakeSchemas(), [AUDIT_TABLE]: auditColumns }, log, sink,
    maxSegmentBytes: config.walSegmentBytes, maxSegmentAgeMs: config.walSegmentMs,
  });
  return { config, store, lake, bus, services: bus ? new ServiceBoard(bus) : undefined };
}

/**
 * What the app's routes and OpenAPI document depend on: which model-specific endpoints exist
 * (spend, segmentation, recommender) and each served model's inputs (its `/v1/predict/NAME`
 * route and `FeatureRow.NAME` component). The app is rebuilt when this changes: a model
 * registered after start-up, or a champion whose inputs differ from the one before.
 */
export function endpointSignature(models: ModelHost): string {
  const has = (t: string) => models.all().some((s) => s.type === t);
  const inputs = models.all().filter((s) => s.type !== 'recommender').map((s) => {
    const p = (s as { predictor: { inputs: unknown; nullable: boolean; task: string } }).predictor;
    return `${s.name}:${p.task}:${p.nullable}:${JSON.stringify(p.inputs)}`;
  }).sort();
  return `${models.get(SPEND_MODEL)?.type === 'spend'}|${models.get(SEGMENT_MODEL)?.type === 'segment'}|${has('recommender')}|${inputs.join('|')}`;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function startServer(config: Config, opts: ServerOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? (() => {});
  // open write endpoints are only ever reachable from this machine
  if (!config.apiToken && config.host !== undefined && !LOOPBACK.test(config.host)) {
    throw new Error(`refusing to listen on ${config.host} without TRIBUTARY_API_TOKEN: the write endpoints (events, ` +
      `promote) would be open to the network; set a token or bind 127.0.0.1`);
  }
  const ctx = await openContext(config, log);
  const registry = new ModelRegistry(ctx.store, { home: config.home });
  let rebuild: () => void = () => {};
  let metrics: ApiMetrics | undefined;
  const models = new ModelHost(registry, { pollMs: opts.pollMs, log, onSwap: (s) => { metrics?.swaps.inc({ model: s.name }); rebuild(); } });
  await models.start();
  // scale-out: a promotion announced on the bus is served within moments, not at the next poll
  const promotions = ctx.bus ? onPromotion(ctx.bus, (n) => { if (n.alias === 'champion') void models.refresh(n.name); }) : undefined;
  const features = new OnlineFeatures(
    ctx.lake,
    () => { const s = models.get(SPEND_MODEL); return s?.type === 'spend' ? s : undefined; },
    { refreshMs: opts.featureRefreshMs, log },
  );
  await features.start();
  const audit = new AuditLog(ctx.lake, config.auditSampling, log);
  Object.assign(ctx, { registry, models, features, audit });
  metrics = createMetrics({
    models: () => models.all().map((m) => ({ name: m.name, version: m.version })),
    wal: ctx.lake.wal ? () => ctx.lake.wal!.stats() : undefined,
    alerts: () => alertCounts(ctx.store),
  });

  // One listening socket; the Fastify app behind it can be rebuilt and swapped in without a
  // moment of refused connections (requests already in the old app finish there).
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => { res.statusCode = 503; res.end(); };
  const http = createServer((req, res) => handler(req, res));
  const build = async () => {
    let h: typeof handler | undefined;
    const app = await buildApp(ctx, {
      logger: opts.logger, metrics,
      serverFactory: (fn) => { h = fn as typeof handler; return createServer(); },
    });
    await app.ready();
    return { app, handler: h!, signature: endpointSignature(models) };
  };
  let current = await build();
  handler = current.handler;

  const host = config.host ?? (config.apiToken ? '0.0.0.0' : '127.0.0.1');
  if (!config.apiToken) log('no TRIBUTARY_API_TOKEN set: write endpoints (events, promote) are open, so the server listens on 127.0.0.1 only');
  else log(`TRIBUTARY_API_TOKEN set: write endpoints need "Authorization: Bearer <token>"; listening on ${host}`);
  const served = models.all().map((s) => `${s.name} v${s.version}`);
  log(served.length ? `serving models: ${served.join(', ')}` : 'no models in the registry yet: /v1/predict answers once one is registered');
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, host, () => { http.off('error', reject); resolve(); });
  });
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const routesOf = (app: FastifyInstance) => {
    const out: string[] = [];
    for (const [path, methods] of Object.entries((app.swagger().paths ?? {}) as Record<string, object>)) {
      for (const m of Object.keys(methods)) out.push(`${m.toUpperCase()} ${path}`);
    }
    return out;
  };

  let rebuilding: Promise<void> = Promise.resolve();
  let closed = false;
  rebuild = () => {
    rebuilding = rebuilding.then(async () => {
      if (closed || endpointSignature(models) === current.signature) return;
      try {
        const next = await build();
        const before = current;
        current = next;
        handler = next.handler;
        server.app = next.app;
        server.routes = routesOf(next.app);
        log(`new model endpoints: now serving ${server.routes.filter((r) => r.includes('/v1/')).join(', ')}`);
        await before.app.close();
      } catch (e) {
        log(`could not rebuild the API for new models: ${(e as Error).message}`);
      }
    });
  };

  const server: RunningServer = {
    app: current.app, ctx, url, routes: routesOf(current.app),
    urls: { api: url, docs: `${url}/docs`, openapi: `${url}/openapi.json`, metrics: `${url}/metrics`, health: `${url}/healthz`, models: `${url}/v1/models` },
    async close() {
      closed = true;
      models.stop();
      await promotions?.stop();
      features.stop();
      await rebuilding;
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeIdleConnections();
        // keep-alive clients that do not hang up get a moment, then are disconnected
        setTimeout(() => http.closeAllConnections(), 1000).unref();
      });
      await current.app.close();
      await audit.drain();
      await ctx.lake.close();
      await ctx.services?.stop();
      await ctx.bus?.close();
      await ctx.store.close();
    },
  };
  // a model kind that arrived between the first build and now
  rebuild();
  return server;
}
