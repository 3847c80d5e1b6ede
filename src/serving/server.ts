// Opens everything the API needs (metadata database, lake with replay, the registry's champions,
// online features, the audit log), builds the app and listens. Without an API token it binds to
// 127.0.0.1 only and says so.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import { openMetaStore } from '../metadata/db.ts';
import { Lake } from '../lake/lake.ts';
import { eventLakeSchemas } from '../events/lake-schema.ts';
import { ModelRegistry } from '../tracking/index.ts';
import { buildApp } from './app.ts';
import { AUDIT_TABLE, AuditLog, auditColumns } from './audit.ts';
import type { AppContext } from './context.ts';
import type { ApiMetrics } from './metrics.ts';
import { ModelHost } from './model-host.ts';
import { OnlineFeatures } from './online-features.ts';
import { SPEND_MODEL } from './servables.ts';

export interface RunningServer {
  app: FastifyInstance & { metrics: ApiMetrics };
  ctx: AppContext;
  url: string;
  /** where to point a person or a scraper */
  urls: { api: string; docs: string; openapi: string; metrics: string; health: string; models: string };
  /** the routes served, "METHOD /path" */
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
  const lake = await Lake.open({ home: config.home, store, schemas: { ...eventLakeSchemas(), [AUDIT_TABLE]: auditColumns }, log });
  return { config, store, lake };
}

export async function startServer(config: Config, opts: ServerOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? (() => {});
  const ctx = await openContext(config, log);
  const registry = new ModelRegistry(ctx.store, { home: config.home });
  let metrics: ApiMetrics | undefined;
  const models = new ModelHost(registry, { pollMs: opts.pollMs, log, onSwap: (s) => metrics?.swaps.inc({ model: s.name }) });
  await models.start();
  const features = new OnlineFeatures(ctx.lake, () => { const s = models.get(SPEND_MODEL); return s?.type === 'spend' ? s : undefined; }, { refreshMs: opts.featureRefreshMs, log });
  await features.start();
  const audit = new AuditLog(ctx.lake, config.auditSampling, log);
  Object.assign(ctx, { registry, models, features, audit });

  const app = await buildApp(ctx, { logger: opts.logger });
  metrics = app.metrics;
  const host = config.host ?? (config.apiToken ? '0.0.0.0' : '127.0.0.1');
  if (!config.apiToken) log('no TRIBUTARY_API_TOKEN set: write endpoints (events, promote) are open, so the server listens on 127.0.0.1 only');
  else log(`TRIBUTARY_API_TOKEN set: write endpoints need "Authorization: Bearer <token>"; listening on ${host}`);
  const served = models.all().map((s) => `${s.name} v${s.version}`);
  log(served.length ? `serving models: ${served.join(', ')}` : 'no models in the registry yet: /v1/predict answers once one is registered');
  await app.listen({ port: config.port, host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const routes: string[] = [];
  for (const [path, methods] of Object.entries(app.swagger().paths ?? {})) {
    for (const m of Object.keys(methods as object)) routes.push(`${m.toUpperCase()} ${path}`);
  }
  return {
    app, ctx, url, routes,
    urls: { api: url, docs: `${url}/docs`, openapi: `${url}/openapi.json`, metrics: `${url}/metrics`, health: `${url}/healthz`, models: `${url}/v1/models` },
    async close() {
      models.stop();
      features.stop();
      await app.close();
      await audit.drain();
      await ctx.lake.close();
      await ctx.store.close();
    },
  };
}
