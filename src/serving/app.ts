// The one HTTP app: JSON APIs under /v1, OpenAPI 3.1 generated from the zod schemas that
// validate requests, Swagger UI at /docs (assets served locally), health endpoints.
// Each capability is a Fastify plugin in routes/; this file only assembles them.
import { isUtf8 } from 'node:buffer';
import Fastify, { LogController, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from './context.ts';
import { streamingRoutes } from './routes/streaming.ts';
import rateLimit from '@fastify/rate-limit';
import { READ_ROUTES, requireToken } from './auth.ts';
import { eventsRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { createMetrics, installMetrics, type ApiMetrics } from './metrics.ts';
import { alertCounts } from '../monitoring/alerts.ts';
import { installRequestLog, requestLogger } from './logging.ts';
import { newSchemaRegistry, openApiTransforms } from './openapi.ts';
import { installProblemDetails, Problem } from './problem.ts';
import { installRouteConventions } from './conventions.ts';
import { modelRoutes } from './routes/models.ts';
import { monitoringRoutes } from './routes/monitoring.ts';
import { predictRoutes } from './routes/predict.ts';
import { musicLikeRoutes } from './routes/music-like.ts';
import { recommendationRoutes } from './routes/recommendations.ts';
import { retailRoutes } from './routes/retail.ts';
import { CollectorRate } from './collector-rate.ts';
import { DashboardData, DASHBOARD_DERIVED, DASHBOARD_IN_MEMORY } from './dashboard/data.ts';
import { dashboardModelRoutes } from './routes/dashboard-models.ts';
import { dashboardMusicRoutes } from './routes/dashboard-music.ts';
import { dashboardRetailRoutes } from './routes/dashboard-retail.ts';
import { dashboardStreamingRoutes } from './routes/dashboard-streaming.ts';
import { webRoutes } from './routes/web.ts';

export const BODY_LIMIT_BYTES = 32 << 20;

export { fieldOf } from './problem.ts';

export interface AppOptions {
  logger?: boolean;
  /** shared across rebuilds of the app; created when absent */
  metrics?: ApiMetrics;
  /** Fastify's serverFactory: lets the server swap apps behind one listening socket */
  serverFactory?: FastifyServerFactory;
}

export async function buildApp(ctx: AppContext, opts: AppOptions = {}): Promise<FastifyInstance & { metrics: ApiMetrics }> {
  const app = Fastify({
    ...(opts.serverFactory ? { serverFactory: opts.serverFactory } : {}),
    // one JSON line per request at info (pino, on stdout), none when the logger is off
    ...(opts.logger ? { loggerInstance: requestLogger(ctx.config.logLevel) } : { logger: false }),
    // Fastify's two lines per request (incoming, completed) give way to one (logging.ts)
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // ids in paths may be 128 characters (the schemas' limit), up to 12 bytes each once
    // percent-encoded; Fastify's default (100) answered 414 to ids the schema allows
    routerOptions: { maxParamLength: 128 * 12 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installProblemDetails(app);
  const schemas = newSchemaRegistry();
  schemas.add(Problem, { id: 'Problem' });
  installRouteConventions(app, ctx.config.apiToken);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tributary API', version: '0.1.0',
        description: 'Events in; predictions, segments and recommendations out. Every 4xx and 5xx answer is an RFC 9457 problem '
          + '(`Problem`, application/problem+json). Routes marked with the bearer scheme need `Authorization: Bearer <token>` '
          + 'when the server has TRIBUTARY_API_TOKEN set.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    ...openApiTransforms(schemas),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // JSON bodies must be valid UTF-8: Node would otherwise turn bad bytes into U+FFFD and a
  // malformed body could pass as a (different) string value
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const buf = body as Buffer;
    if (!isUtf8(buf)) {
      const e = Object.assign(new Error('the body is not valid UTF-8'), { statusCode: 400, code: 'TRIB_INVALID_UTF8' });
      return done(e, undefined);
    }
    parseJson(req, buf.toString('utf8'), done);
  });
  // optional read protection: the inference routes write audit rows, so a read token can guard
  // them (the write token is accepted too); checked before the body is read
  if (ctx.config.readToken) {
    const guard = requireToken(ctx.config.readToken, ctx.config.apiToken);
    app.addHook('onRequest', async (req, reply) => { if (READ_ROUTES.test(req.url)) await guard(req, reply); });
  }
  // optional per-client rate limit (a client is its bearer token, else its address)
  if (ctx.config.rateLimit) {
    await app.register(rateLimit, {
      max: ctx.config.rateLimit, timeWindow: 60_000,
      keyGenerator: (req) => req.headers.authorization ?? req.ip,
      allowList: (req) => /^\/(healthz|readyz|metrics)\b/.test(req.url),
      errorResponseBuilder: (_req, c) => ({
        statusCode: 429, error: 'rate_limited', message: `at most ${c.max} requests per minute per client; retry in ${Math.ceil(c.ttl / 1000)} s`,
      }),
    });
  }
  app.decorateRequest('inference', null);
  const metrics = opts.metrics ?? createMetrics({
    models: () => (ctx.models?.all() ?? []).map((m) => ({ name: m.name, version: m.version })),
    wal: ctx.lake.wal ? () => ctx.lake.wal!.stats() : undefined,
    alerts: () => alertCounts(ctx.store),
  });
  installMetrics(app, metrics);
  if (opts.logger) installRequestLog(app);
  await app.register(healthRoutes, { ctx });
  ctx.collected ??= new CollectorRate();
  await app.register(eventsRoutes, { ctx, metrics });
  if (ctx.bus) await app.register(streamingRoutes, { ctx });
  // the dashboard: its read-only /v1/dashboard API (one DuckDB session per app) and the web app at /
  const dashboard = new DashboardData(ctx.lake, { inMemory: DASHBOARD_IN_MEMORY, derived: DASHBOARD_DERIVED });
  app.addHook('onClose', async () => dashboard.close());
  await app.register(dashboardRetailRoutes, { ctx, data: dashboard });
  await app.register(dashboardMusicRoutes, { data: dashboard });
  await app.register(dashboardModelRoutes, { ctx });
  await app.register(dashboardStreamingRoutes, { data: dashboard });
  await app.register(webRoutes, {});
  await app.register(monitoringRoutes, { ctx });
  if (ctx.models) {
    await app.register(modelRoutes, { ctx });
    await app.register(musicLikeRoutes, { ctx });
    await app.register(predictRoutes, { ctx, schemas });
    await app.register(retailRoutes, { ctx });
    await app.register(recommendationRoutes, { ctx });
  }
  return Object.assign(app, { metrics });
}
