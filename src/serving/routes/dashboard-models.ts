// The dashboard's MLflow-like view and pipeline timeline, over the tracking records and the registry:
// GET /v1/dashboard/runs             runs with filters ("metrics.rmse < 3", as the CLI's --filter)
// GET /v1/dashboard/runs/compare     runs side by side: params, metrics, metric curves, stage timings
// GET /v1/dashboard/runs/{id}        one run with its stages, artifacts and child runs
// GET /v1/dashboard/models           registered models; /models/{name}: versions, aliases, lineage, cards
// GET /v1/dashboard/pipelines        recent pipeline runs with per-step durations (stages or child runs)
// GET /v1/dashboard/events/stream    server-sent events: events per second arriving at the collector
// Promotion and rollback are the registry's own write endpoints (POST /v1/models/{name}/promote|rollback).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ModelRegistry, NotFoundError, RegistryError, Tracker, TrackingError, type RunDetail, type RunSummary,
  type ModelSummary as RegisteredModel,
} from '../../tracking/index.ts';
import type { AppContext } from '../context.ts';
import { CollectorRate } from '../collector-rate.ts';
import { HINTS } from '../dashboard/filters.ts';
import { ErrorResponse, ModelName, badRequest, notFound } from './common.ts';

const RunId = z.string().min(1).max(100).regex(/^[\w.-]+$/, 'letters, digits, "_", "-" or "."');
const Run = z.object({
  id: z.string(), pipeline: z.string(), step: z.string().nullable(), status: z.string(), parent_run_id: z.string().nullable(),
  started_at: z.string(), ended_at: z.string().nullable(), duration_ms: z.number().nullable(), code_version: z.string().nullable(),
  error: z.string().nullable(),
  params: z.record(z.string(), z.string()), metrics: z.record(z.string(), z.number().nullable()), tags: z.record(z.string(), z.string()),
});
const Step = z.object({
  name: z.string(), started_at: z.string(), duration_ms: z.number(), status: z.string(),
  source: z.enum(['stage', 'child_run']).describe('a timed stage of the run, or a child run (one per step)'),
});
const RunDetailSchema = Run.extend({
  steps: z.array(Step),
  artifacts: z.array(z.object({ name: z.string(), size: z.number(), sha256: z.string() })),
  child_run_ids: z.array(z.string()),
});
const RunsQuery = z.object({
  filter: z.string().max(1000).optional().describe('search expression, e.g. metrics.rmse < 3 and params.model = "rf"'),
  pipeline: z.string().max(200).optional(),
  status: z.enum(['running', 'finished', 'failed']).optional(),
  top_level: z.enum(['true', 'false']).default('false').describe('only runs without a parent'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const Version = z.object({
  version: z.number().int(), created_at: z.string(), created_by: z.string(), run_id: z.string().nullable(), kind: z.string().nullable(),
  metrics: z.record(z.string(), z.number().nullable()), params: z.record(z.string(), z.unknown()), aliases: z.array(z.string()),
  lineage: z.object({
    snapshots: z.array(z.object({ table: z.string(), snapshot: z.number() })),
    code_version: z.string(),
    config_hash: z.string().nullable(),
    seed: z.number().nullable(),
    run_id: z.string().nullable(),
  }),
  card: z.string().describe('the model card (Markdown)'), sha256: z.string(), size: z.number(),
});
const ModelSummary = z.object({
  name: z.string(),
  description: z.string().nullable(),
  latest_version: z.number().int(),
  champion: z.number().int().nullable(),
  challenger: z.number().int().nullable(),
  updated_at: z.string(),
});

const finite = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
/** A registered model as the dashboard lists it (the list and the model page share it). */
function modelSummary(m: RegisteredModel): z.infer<typeof ModelSummary> {
  return {
    name: m.name,
    description: m.description,
    latest_version: m.latestVersion,
    champion: m.champion,
    challenger: m.challenger,
    updated_at: m.updatedAt,
  };
}
function runOut(r: RunSummary): z.infer<typeof Run> {
  return {
    id: r.id, pipeline: r.pipeline, step: r.step, status: r.status, parent_run_id: r.parentRunId, started_at: r.startedAt, ended_at: r.endedAt,
    duration_ms: r.durationMs, code_version: r.codeVersion, error: r.error, params: r.params, metrics: finite(r.metrics), tags: r.tags,
  };
}

/**
 * A run's steps for the timeline: its timed stages, and its child runs (pipelines that record one
 * child run per step); a child that repeats a stage's name replaces it.
 */
async function runSteps(tracker: Tracker, d: RunDetail): Promise<z.infer<typeof Step>[]> {
  const children = d.childRunIds.length ? (await tracker.compareRuns(d.childRunIds)).runs : [];
  const childSteps = children.map((c) => ({
    name: c.step ?? c.pipeline, started_at: c.startedAt, status: c.status, source: 'child_run' as const,
    duration_ms: c.durationMs ?? (c.endedAt ? Date.parse(c.endedAt) - Date.parse(c.startedAt) : Date.now() - Date.parse(c.startedAt)),
  }));
  const names = new Set(childSteps.map((c) => c.name));
  const stages = d.stages.filter((s) => !names.has(s.name)).map((s) => ({
    name: s.name,
    started_at: s.startedAt,
    duration_ms: s.durationMs,
    status: s.status,
    source: 'stage' as const,
  }));
  return [...stages, ...childSteps].sort((a, b) => a.started_at.localeCompare(b.started_at));
}

async function runDetail(tracker: Tracker, id: string): Promise<z.infer<typeof RunDetailSchema>> {
  const d = await tracker.getRun(id);
  return {
    ...runOut(d),
    steps: await runSteps(tracker, d),
    artifacts: d.artifacts.map((a) => ({ name: a.name, size: a.size, sha256: a.sha256 })),
    child_run_ids: d.childRunIds,
  };
}

export const dashboardModelRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const tags = ['dashboard'];
  const tracker = new Tracker(ctx.store, { home: ctx.config.home });
  const registry = ctx.registry ?? new ModelRegistry(ctx.store, { home: ctx.config.home });
  const collected = (ctx.collected ??= new CollectorRate());

  app.get('/v1/dashboard/runs', {
    schema: {
      summary: 'Tracked runs, newest first, with filters',
      tags,
      querystring: RunsQuery,
      response: { 200: z.object({ runs: z.array(Run), hint: z.string().nullable() }), 400: ErrorResponse },
    },
  }, async (req, reply) => {
    const q = req.query;
    try {
      const page = await tracker.listRuns({
        filter: q.filter,
        pipeline: q.pipeline,
        status: q.status,
        limit: q.limit,
        ...(q.top_level === 'true' ? { parentRunId: null } : {}),
      });
      const any = page.runs.length > 0 || (await tracker.listRuns({ limit: 1 })).runs.length > 0;
      return { runs: page.runs.map(runOut), hint: any ? null : HINTS.runs };
    } catch (e) {
      if (e instanceof TrackingError) return reply.code(400).send(badRequest('filter', (e as Error).message));
      throw e;
    }
  });

  app.get('/v1/dashboard/runs/compare', {
    schema: {
      summary: 'Runs side by side: params, metrics, metric curves, stage timings', tags,
      querystring: z.object({ ids: z.string().max(2000).describe('run ids, comma separated (2..10)') }),
      response: {
        200: z.object({
          runs: z.array(RunDetailSchema), param_keys: z.array(z.string()), metric_keys: z.array(z.string()),
          curves: z.array(z.object({
            run_id: z.string(), key: z.string(), points: z.array(z.object({ step: z.number(), value: z.number().nullable() })),
          })).describe('metrics logged at more than one step'),
        }),
        400: ErrorResponse, 404: ErrorResponse,
      },
    },
  }, async (req, reply) => {
    const ids = [...new Set(req.query.ids.split(',').map((s) => s.trim()).filter(Boolean))];
    const bad = ids.find((id) => !RunId.safeParse(id).success);
    if (bad !== undefined || ids.length < 1 || ids.length > 10) return reply.code(400).send(badRequest(
      'ids',
      bad !== undefined ? `ids: ${JSON.stringify(bad)} is not a run id` : 'ids: give 1 to 10 run ids, comma separated',
    ));
    try {
      const cmp = await tracker.compareRuns(ids);
      const runs = await Promise.all(ids.map((id) => runDetail(tracker, id)));
      const points = await tracker.metricHistories(ids);
      const series = new Map<string, { run_id: string; key: string; points: { step: number; value: number | null }[] }>();
      for (const p of points) {
        const k = `${p.runId}\u0000${p.key}`;
        let s = series.get(k);
        if (!s) series.set(k, (s = { run_id: p.runId, key: p.key, points: [] }));
        s.points.push({ step: p.step, value: Number.isFinite(p.value) ? p.value : null });
      }
      return { runs, param_keys: cmp.paramKeys, metric_keys: cmp.metricKeys, curves: [...series.values()].filter((s) => s.points.length > 1) };
    } catch (e) {
      if (e instanceof TrackingError) return reply.code(404).send(notFound((e as Error).message, 'ids'));
      throw e;
    }
  });

  app.get('/v1/dashboard/runs/:id', {
    schema: {
      summary: 'One run: stages or child runs, artifacts',
      tags,
      params: z.object({ id: RunId }),
      response: { 200: RunDetailSchema, 400: ErrorResponse, 404: ErrorResponse },
    },
  }, async (req, reply) => {
    try {
      return await runDetail(tracker, req.params.id);
    } catch (e) {
      if (e instanceof TrackingError) return reply.code(404).send(notFound((e as Error).message, 'id'));
      throw e;
    }
  });

  app.get('/v1/dashboard/models', {
    schema: {
      summary: 'Registered models with their champion and challenger',
      tags,
      response: { 200: z.object({ models: z.array(ModelSummary), hint: z.string().nullable() }) },
    },
  }, async () => {
    const models = await registry.listModels();
    return {
      models: models.map(modelSummary),
      hint: models.length ? null : HINTS.models,
    };
  });

  app.get('/v1/dashboard/models/:name', {
    schema: {
      summary: 'A model\'s versions (metrics, lineage, card) and alias history', tags,
      params: z.object({ name: ModelName }),
      response: {
        200: z.object({
          model: ModelSummary, versions: z.array(Version),
          history: z.array(z.object({
            alias: z.string(),
            from_version: z.number().nullable(),
            to_version: z.number().nullable(),
            action: z.string(),
            by: z.string(),
            reason: z.string().nullable(),
            at: z.string(),
          })),
        }),
        400: ErrorResponse, 404: ErrorResponse,
      },
    },
  }, async (req, reply) => {
    const { name } = req.params;
    const m = (await registry.listModels()).find((x) => x.name === name);
    if (!m) return reply.code(404).send(notFound(`no model named ${JSON.stringify(name)}`, 'name'));
    try {
      const versions = await registry.listVersions(name, { limit: 50 });
      const history = await registry.aliasHistory(name);
      return {
        model: modelSummary(m),
        versions: versions.map((v) => ({
          version: v.version, created_at: v.createdAt, created_by: v.createdBy, run_id: v.runId, kind: v.kind, metrics: finite(
            v.metrics,
          ), params: v.params, aliases: v.aliases,
          lineage: {
            snapshots: v.lineage.snapshots,
            code_version: v.lineage.codeVersion,
            config_hash: v.lineage.configHash,
            seed: v.lineage.seed,
            run_id: v.lineage.runId,
          },
          card: v.card, sha256: v.sha256, size: v.size,
        })),
        history: history.map((h) => ({
          alias: h.alias,
          from_version: h.fromVersion,
          to_version: h.toVersion,
          action: h.action,
          by: h.by,
          reason: h.reason,
          at: h.at,
        })),
      };
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof RegistryError) return reply.code(404).send(notFound((e as Error).message, 'name'));
      throw e;
    }
  });

  app.get('/v1/dashboard/pipelines', {
    schema: {
      summary: 'Recent pipeline runs with their steps\' durations', tags,
      querystring: z.object({ pipeline: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }),
      response: { 200: z.object({ runs: z.array(RunDetailSchema), hint: z.string().nullable() }), 400: ErrorResponse },
    },
  }, async (req) => {
    const page = await tracker.listRuns({ parentRunId: null, pipeline: req.query.pipeline, limit: req.query.limit });
    const runs = [];
    for (const r of page.runs) runs.push(await runDetail(tracker, r.id));
    return { runs, hint: runs.length ? null : HINTS.runs };
  });

  // open streams end with the app (a rebuild or shutdown), so the browser reconnects to the new one
  const streams = new Set<import('node:http').ServerResponse>();
  app.addHook('onClose', async () => { for (const s of streams) s.end(); });
  app.get('/v1/dashboard/capabilities', {
    schema: {
      summary: 'Which optional panels this server can fill', tags,
      description: 'Monitoring alerts come with their own part of the product; the Pipelines page shows their panel when their endpoint is served.',
      response: { 200: z.object({ monitoring_alerts: z.boolean() }) },
    },
  }, async () => ({
    monitoring_alerts: app.hasRoute({ method: 'GET', url: '/v1/monitoring/alerts' }),
  }));

  const RatePoint = z.object({ t: z.number().describe('epoch ms'), accepted: z.number().int(), rejected: z.number().int() });
  const Rate = z.object({ accepted_total: z.number().int(), rejected_total: z.number().int(), per_second: z.number(), last_minute: z.array(RatePoint) });
  const rateNow = () => {
    const last = collected.recent(60);
    const prev = last[last.length - 2];
    return { accepted_total: collected.accepted, rejected_total: collected.rejected, per_second: prev ? prev.accepted : 0, last_minute: last };
  };

  app.get('/v1/dashboard/events/rate', {
    schema: { summary: 'Events per second arriving at the collector (last minute)', tags, response: { 200: Rate } },
  }, async () => rateNow());

  app.get('/v1/dashboard/events/stream', {
    schema: {
      summary: 'Live events per second at the collector (server-sent events)', tags,
      description: 'text/event-stream: one `rate` event a second, its data the JSON of GET /v1/dashboard/events/rate.',
      querystring: z.object({ interval_ms: z.coerce.number().int().min(100).max(10_000).default(1000) }),
      response: { 200: { description: 'a stream of `rate` events', content: { 'text/event-stream': { schema: z.string() } } } },
    },
  }, (req, reply) => {
    reply.hijack();
    streams.add(reply.raw);
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const send = () => res.write(`event: rate\ndata: ${JSON.stringify(rateNow())}\n\n`);
    send();
    const timer = setInterval(send, req.query.interval_ms);
    res.on('close', () => { clearInterval(timer); streams.delete(res); });
  });
};
