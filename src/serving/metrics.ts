// Prometheus metrics of the API. Node's default metrics keep their standard names
// (process_cpu_seconds_total, nodejs_eventloop_lag_seconds...), so stock Node.js dashboards
// work; Tributary's own carry the tributary_ prefix: requests and latency per route (the route's
// pattern, never the raw URL, so ids cannot blow up the label set), events accepted and rejected
// by type, predictions by model and version, the model version each served model is at, swaps,
// and the write-ahead log's size and flush lag. One registry per server, so several servers can
// share a process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  swaps: Counter<'model'>;
  modelVersion: Gauge<'model'>;
  events: Counter<'type' | 'outcome'>;
  predictions: Counter<'model' | 'version'>;
}

export interface MetricSources {
  /** the models being served */
  models: () => Iterable<{ name: string; version: number }>;
  /** what waits in the write-ahead log to be flushed into Parquet (absent: no lake) */
  wal?: () => { bytes: number; segments: number; oldestMs: number | null };
  /** the monitor's alerts (read at each scrape) */
  alerts?: () => Promise<{ model: string; kind: string; severity: string; n: number }[]>;
}

/** The metrics of one server; they outlive a rebuild of its app (see server.ts). */
export function createMetrics(src: MetricSources | (() => Iterable<{ name: string; version: number }>)): ApiMetrics {
  const sources: MetricSources = typeof src === 'function' ? { models: src } : src;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
      for (const m of sources.models()) this.set({ model: m.name }, m.version);
    },
  });
  // the monitor's alerts, read from the metadata database at each scrape
  const alerts = sources.alerts;
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
  const swaps = new Counter({
    name: 'tributary_model_swaps_total',
    help: 'model versions swapped in after a promotion',
    labelNames: ['model'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'tributary_events_total', help: 'events received by the collector, by event type and outcome (accepted, or rejected to quarantine)',
    labelNames: ['type', 'outcome'] as const, registers: [registry],
  });
  const predictions = new Counter({
    name: 'tributary_predictions_total', help: 'predictions answered (rows, customers, profiles or playlists), by model and the version that computed them',
    labelNames: ['model', 'version'] as const, registers: [registry],
  });
  if (sources.wal) {
    const wal = sources.wal;
    new Gauge({
      name: 'tributary_wal_bytes', help: 'bytes in write-ahead segments not yet flushed into Parquet', registers: [registry],
      collect() { this.set(wal().bytes); },
    });
    new Gauge({
      name: 'tributary_wal_segments', help: 'write-ahead segments not yet flushed into Parquet (the open one included)', registers: [registry],
      collect() { this.set(wal().segments); },
    });
    new Gauge({
      name: 'tributary_flush_lag_seconds', help: 'age of the oldest write-ahead segment not yet flushed into Parquet (0 ' +
        'when all are flushed)', registers: [registry],
      collect() { const o = wal().oldestMs; this.set(o === null ? 0 : Math.max(0, (Date.now() - o) / 1000)); },
    });
  }
  return { registry, requests, latency, swaps, modelVersion, events, predictions };
}

/** Counts and times every request of the app, counts predictions, and serves GET /metrics. */
export function installMetrics(app: FastifyInstance, m: ApiMetrics): void {
  const { registry, requests, latency, predictions } = m;

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    const inf = req.inference;
    if (inf && reply.statusCode < 400) predictions.inc({ model: inf.model, version: String(inf.version) }, inf.rows ?? 1);
    done();
  });
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics', tags: ['operations'],
      response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } } },
    },
  }, async (_req, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
