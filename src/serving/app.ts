// The one HTTP app: JSON APIs under /v1, OpenAPI 3.1 generated from the zod schemas that
// validate requests, Swagger UI at /docs (assets served locally), health endpoints.
// Each capability is a Fastify plugin in routes/; this file only assembles them.
import { isUtf8 } from 'node:buffer';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppContext } from './context.ts';
import { redactPaths } from '../util/redact.ts';
import { streamingRoutes } from './routes/streaming.ts';
import rateLimit from '@fastify/rate-limit';
import { READ_ROUTES, requireToken } from './auth.ts';
import { eventsRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { createMetrics, installMetrics, type ApiMetrics } from './metrics.ts';
import { alertCounts } from '../monitoring/alerts.ts';
import { modelRoutes } from './routes/models.ts';
import { monitoringRoutes } from './routes/monitoring.ts';
import { predictRoutes } from './routes/predict.ts';
import { recommendationRoutes } from './routes/recommendations.ts';
import { retailRoutes } from './routes/retail.ts';
import { CollectorRate } from './collector-rate.ts';
import { DashboardData, DASHBOARD_IN_MEMORY, PRODUCT_LINES, PRODUCTS, SALES_ROLLUP } from './dashboard/data.ts';
import { dashboardModelRoutes } from './routes/dashboard-models.ts';
import { dashboardMusicRoutes } from './routes/dashboard-music.ts';
import { dashboardRetailRoutes } from './routes/dashboard-retail.ts';
import { dashboardStreamingRoutes } from './routes/dashboard-streaming.ts';
import { webRoutes } from './routes/web.ts';

export const BODY_LIMIT_BYTES = 32 << 20;

/** "rows[0].age" from a validation error's JSON pointer ("/rows/0/age"). */
export function fieldOf(context: string | undefined, instancePath: string | undefined): string {
  const parts = (instancePath ?? '').split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || (context === 'body' ? '(body)' : context ?? '(request)');
}

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
    // per-request logs (level info) would dominate the collector's hot path: the server logs
    // warnings and errors unless LOG_LEVEL asks for debug or trace
    logger: opts.logger ? { level: ['debug', 'trace'].includes(ctx.config.logLevel) ? ctx.config.logLevel : 'warn', redact: ['req.headers.authorization'] } : false,
    bodyLimit: BODY_LIMIT_BYTES,
    // ids in paths may be 128 characters (the schemas' limit), up to 12 bytes each once
    // percent-encoded; Fastify's default (100) answered 414 to ids the schema allows
    routerOptions: { maxParamLength: 128 * 12 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err: any, _req, reply) => {
    // Fastify's own client errors (too large, bad content type, validation) keep their 4xx.
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : err.validation ? 400 : 500;
    if (status >= 500) app.log.error(err);
    if (err.validation?.length) {
      // the first problem, named by its path: "rows[2].age: expected number, received string"
      const v = err.validation[0];
      const field = fieldOf(err.validationContext, v.instancePath);
      const where = err.validationContext && err.validationContext !== 'body' ? `${err.validationContext} ` : '';
      return reply.code(400).send({ error: 'invalid_request', field, message: `${where}${field}: ${v.message ?? 'invalid'}` });
    }
    if (status === 429) return reply.code(429).send({ error: 'rate_limited', message: String(err.message) });
    const error = err.validation ? 'invalid_request' : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body_too_large' : err.code === 'TRIB_INVALID_UTF8' ? 'invalid_utf8' : err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? 'malformed_json' : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : status >= 500 ? 'internal_error' : 'bad_request';
    void reply.code(status).send({ error, message: status >= 500 ? 'internal error' : redactPaths(String(err.message)) });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tributary API', version: '0.1.0', description: 'Events in; predictions, segments and recommendations out.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
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
      errorResponseBuilder: (_req, c) => ({ statusCode: 429, error: 'rate_limited', message: `at most ${c.max} requests per minute per client; retry in ${Math.ceil(c.ttl / 1000)} s` }),
    });
  }
  app.decorateRequest('inference', null);
  const metrics = opts.metrics ?? createMetrics(() => (ctx.models?.all() ?? []).map((m) => ({ name: m.name, version: m.version })), () => alertCounts(ctx.store));
  installMetrics(app, metrics);
  await app.register(healthRoutes, { ctx });
  ctx.collected ??= new CollectorRate();
  await app.register(eventsRoutes, { ctx });
  if (ctx.bus) await app.register(streamingRoutes, { ctx });
  // the dashboard: its read-only /v1/dashboard API (one DuckDB session per app) and the web app at /
  const dashboard = new DashboardData(ctx.lake, { inMemory: DASHBOARD_IN_MEMORY, derived: [SALES_ROLLUP, PRODUCT_LINES, PRODUCTS] });
  app.addHook('onClose', async () => dashboard.close());
  await app.register(dashboardRetailRoutes, { ctx, data: dashboard });
  await app.register(dashboardMusicRoutes, { data: dashboard });
  await app.register(dashboardModelRoutes, { ctx });
  await app.register(dashboardStreamingRoutes, { data: dashboard });
  await app.register(webRoutes, {});
  await app.register(monitoringRoutes, { ctx });
  if (ctx.models) {
    await app.register(modelRoutes, { ctx });
    await app.register(predictRoutes, { ctx });
    await app.register(retailRoutes, { ctx });
    await app.register(recommendationRoutes, { ctx });
  }
  return Object.assign(app, { metrics });
}
