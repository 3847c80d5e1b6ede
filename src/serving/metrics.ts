// Prometheus metrics of the API: request counts and latency histograms per route (the route's
// pattern, never the raw URL, so ids cannot blow up the label set), the model version each
// served model is at, and swaps. One registry per app, so several servers can share a process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  swaps: Counter<'model'>;
  modelVersion: Gauge<'model'>;
}

/** The metrics of one server; they outlive a rebuild of its app (see server.ts). */
export function createMetrics(models: () => Iterable<{ name: string; version: number }>, alerts?: () => Promise<{ model: string; kind: string; severity: string; n: number }[]>): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tributary_' });
  const requests = new Counter({
    name: 'tributary_http_requests_total', help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const, registers: [registry],
  });
  const latency = new Histogram({
    name: 'tributary_http_request_duration_seconds', help: 'time from request received to response sent',
    labelNames: ['method', 'route'] as const, registers: [registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  });
  const modelVersion = new Gauge({
    name: 'tributary_model_version', help: 'registry version of the model being served (its champion)',
    labelNames: ['model'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const m of models()) this.set({ model: m.name }, m.version);
    },
  });
  // the monitor's alerts, read from the metadata database at each scrape
  if (alerts) {
    new Gauge({
      name: 'tributary_monitoring_alerts', help: 'alerts recorded by the monitor (drift, prediction drift, live quality) by model, kind and severity',
      labelNames: ['model', 'kind', 'severity'] as const, registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const a of await alerts()) this.set({ model: a.model, kind: a.kind, severity: a.severity }, a.n);
        } catch { /* the database is away: the scrape still answers; /readyz says why */ }
      },
    });
  }
  const swaps = new Counter({ name: 'tributary_model_swaps_total', help: 'model versions swapped in after a promotion', labelNames: ['model'] as const, registers: [registry] });
  return { registry, requests, latency, swaps, modelVersion };
}

/** Counts and times every request of the app, and serves GET /metrics. */
export function installMetrics(app: FastifyInstance, m: ApiMetrics): void {
  const { registry, requests, latency } = m;

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_req, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
