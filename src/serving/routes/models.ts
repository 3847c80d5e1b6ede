// GET /v1/models: what the registry holds and what this server serves (version, inputs,
// endpoint). POST /v1/models/{name}/promote: moves an alias (champion by default) to a version;
// a write endpoint, so it needs the bearer token when one is configured. A champion promotion
// is swapped in before the answer, so the next request is served by the new version.
import { announcePromotion } from '../../bus/promotions.ts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, RegistryError } from '../../tracking/index.ts';
import { UnloadableModelError } from '../model-check.ts';
import { errorLine } from '../../util/redact.ts';
import { BEARER } from '../conventions.ts';
import { problem } from '../problem.ts';
import type { AppContext } from '../context.ts';
import type { Servable } from '../servables.ts';
import { ErrorResponse, ModelName, badRequest, notFound } from './common.ts';

const Feature = z.object({ name: z.string(), kind: z.enum(['numeric', 'categorical']) });
const ModelEntry = z.object({
  name: z.string(),
  description: z.string().nullable(),
  latest_version: z.number().int(),
  champion: z.number().int().nullable(),
  challenger: z.number().int().nullable(),
  serving: z.object({
    version: z.number().int(),
    kind: z.string(),
    type: z.enum(['predictor', 'spend', 'segment', 'recommender', 'like']),
    task: z.string().optional(),
    inputs: z.array(Feature).optional(),
    classes: z.array(z.string()).optional(),
    endpoints: z.array(z.string()),
    loaded_at: z.string(),
  }).nullable().describe('the version this server answers with; null when it cannot serve the model'),
  error: z.string().optional().describe('why the champion cannot be served'),
});

const PromoteBody = z.strictObject({
  version: z.number().int().min(1).describe('registry version to point the alias at'),
  alias: z.enum(['champion', 'challenger']).default('champion'),
  reason: z.string().max(1000).optional().describe('recorded in the alias history'),
});
const RollbackBody = z.strictObject({
  alias: z.enum(['champion', 'challenger']).default('champion'),
  reason: z.string().max(1000).optional().describe('recorded in the alias history'),
});
const PromoteResponse = z.object({
  name: z.string(), alias: z.string(), from_version: z.number().int().nullable(), to_version: z.number().int(), changed: z.boolean(),
  serving_version: z.number().int().nullable().describe('the version this server now answers with'),
});

export function endpointsOf(s: Servable): string[] {
  switch (s.type) {
    case 'spend': return ['POST /v1/predict/spend', `POST /v1/predict/${s.name}`];
    case 'segment': return ['POST /v1/segment', `POST /v1/predict/${s.name}`];
    case 'recommender': return ['GET /v1/recommendations/{userId}'];
    case 'like': return [`POST /v1/predict/${s.name}`];
    default: return [`POST /v1/predict/${s.name}`];
  }
}

export const modelRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const registry = ctx.registry!, host = ctx.models!;
  app.get('/v1/models', {
    schema: { summary: 'Registered models and what is served', tags: ['models'], response: { 200: z.object({ models: z.array(ModelEntry) }) } },
  }, async () => {
    const models = await registry.listModels();
    return {
      models: models.map((m) => {
        const s = host.get(m.name);
        const err = host.error(m.name);
        const p = s && s.type !== 'recommender' ? s.predictor : undefined;
        return {
          name: m.name, description: m.description, latest_version: m.latestVersion, champion: m.champion, challenger: m.challenger,
          serving: s ? {
            version: s.version, kind: s.kind, type: s.type, task: p?.task, inputs: p?.inputs, classes: p?.classes,
            endpoints: endpointsOf(s), loaded_at: s.loadedAt,
          } : null,
          ...(err ? { error: errorLine(err.message) } : {}),
        };
      }),
    };
  });

  app.post('/v1/models/:name/promote', {
    schema: {
      summary: 'Promote a model version', description: 'Points `alias` (default champion) at `version`; a new champion is served from the answer on.',
      tags: ['models'], security: BEARER,
      params: z.object({ name: ModelName }), body: PromoteBody,
      response: { 200: PromoteResponse, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse },
    },
  }, async (req, reply) => {
    const { name } = req.params;
    const { version, alias, reason } = req.body;
    try {
      // a version this server cannot load is refused before the alias moves (409 with the reason)
      await host.check(name, version);
      const move = await registry.promote(name, version, { alias, reason, by: 'api' });
      const s = alias === 'champion' ? await host.refresh(name) : host.get(name);
      if (ctx.bus && move.changed) await announcePromotion(ctx.bus, { name, alias, version: move.toVersion });
      return { name, alias, from_version: move.fromVersion, to_version: move.toVersion, changed: move.changed, serving_version: s?.version ?? null };
    } catch (e) {
      const message = errorLine(e);
      if (e instanceof NotFoundError) return reply.code(404).send(notFound(message, /no such version/.test(message) ? 'version' : 'name'));
      if (e instanceof UnloadableModelError) return reply.code(409).send(problem(409, 'model_unloadable', `not promoted: ${message}`, { field: 'version' }));
      if (e instanceof RegistryError) return reply.code(400).send(badRequest('version', message));
      throw e;
    }
  });

  app.post('/v1/models/:name/rollback', {
    schema: {
      summary: 'Roll an alias back', description: 'Points `alias` (default champion) back at the version it had before; ' +
        'a rolled-back champion is served from the answer on.',
      tags: ['models'], security: BEARER,
      params: z.object({ name: ModelName }), body: RollbackBody,
      response: { 200: PromoteResponse, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse },
    },
  }, async (req, reply) => {
    const { name } = req.params;
    const { alias, reason } = req.body;
    try {
      const move = await registry.rollback(name, { alias, reason, by: 'api' });
      const s = alias === 'champion' ? await host.refresh(name) : host.get(name);
      return { name, alias, from_version: move.fromVersion, to_version: move.toVersion, changed: move.changed, serving_version: s?.version ?? null };
    } catch (e) {
      if (e instanceof NotFoundError) return reply.code(404).send(notFound((e as Error).message, 'name'));
      if (e instanceof RegistryError) return reply.code(400).send(badRequest('alias', (e as Error).message));
      throw e;
    }
  });
};
