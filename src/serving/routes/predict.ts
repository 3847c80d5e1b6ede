// POST /v1/predict/{model}: raw feature rows in, the champion's predictions out, for any
// registered model that answers feature rows. Rows are checked against the model's own inputs
// (named in the error), then the model's own preprocessing runs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { validateRows, type Predictor } from '../predictor.ts';
import { InputError } from '../input-error.ts';
import type { SchemaRegistry } from '../openapi.ts';
import { ErrorResponse, INFERENCE_BODY_LIMIT, MAX_BATCH, ModelName, badRequest, notFound, tooLarge, plainSerializer } from './common.ts';

const Value = z.union([z.number(), z.string(), z.null()], { error: 'must be a finite number, a string or null' });
export const PredictBody = z.strictObject({
  rows: z.array(z.record(z.string(), Value)).min(1)
    .describe(`feature rows (1..${MAX_BATCH}): {feature: value}; numbers for numeric features, strings for categorical ` +
      `ones, null for a missing value the model imputes`),
});
export const PredictResponse = z.object({
  model: z.string(),
  version: z.number().int().describe('registry version that computed the answer (the champion when it was asked)'),
  predictions: z.array(z.union([z.number(), z.string(), z.null()])),
  probabilities: z.array(z.array(z.number())).optional().describe('classifiers: one probability per class, in `classes` order'),
  classes: z.array(z.string()).optional(),
});

/**
 * The shape check of PredictBody without zod's copy of the body: a request that passes it is
 * exactly one zod accepts, so it is used as is; anything else goes to zod for the error message.
 */
export function isPredictBody(b: unknown): boolean {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return false;
  let keys = 0;
  for (const _ in b) keys++;
  const rows = (b as { rows?: unknown }).rows;
  if (keys !== 1 || !Array.isArray(rows) || rows.length === 0) return false;
  for (const r of rows) {
    if (r === null || typeof r !== 'object' || Array.isArray(r) || Object.getPrototypeOf(r) !== Object.prototype) return false;
    for (const k in r) {
      const v = (r as Record<string, unknown>)[k];
      if (v !== null && typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) return false;
    }
  }
  return true;
}

const zodValidator = validatorCompiler({ schema: PredictBody, method: 'POST', url: '/v1/predict/:model', httpPart: 'body' });
const fastBodyValidator = ({ httpPart, schema, method, url }: { httpPart?: string; schema: unknown; method: string; url: string }) => {
  const zod = httpPart === 'body' ? zodValidator : validatorCompiler({ schema: schema as never, method, url, httpPart });
  return httpPart === 'body' ? (data: unknown) => (isPredictBody(data) ? { value: data } : zod(data)) : zod;
};

/**
 * The documented body of one model: its feature row as a named component (`FeatureRow.<model>`),
 * built from the same inputs validateRows checks.
 */
export function featureRowSchema(p: Predictor) {
  const shape: Record<string, z.ZodType> = {};
  for (const f of p.inputs) {
    const t = f.date
      ? z.union([z.number(), z.string()]).describe('date: epoch seconds or an ISO 8601 string')
      : f.kind === 'numeric' ? z.number().describe('numeric feature') : z.string().max(1024).describe('categorical feature');
    shape[f.name] = p.nullable ? t.nullable() : t;
  }
  return z.strictObject(shape).describe(`one row of features${p.nullable ? '; null for a missing value the model imputes' : ''}`);
}

/** Names whose /v1/predict/NAME route belongs to another endpoint. */
const RESERVED = new Set(['spend']);

export const predictRoutes: FastifyPluginAsyncZod<{ ctx: AppContext; schemas?: SchemaRegistry }> = async (app, { ctx, schemas }) => {
  const host = ctx.models!;
  const handler = async (name: string, body: { rows: Record<string, unknown>[] }, req: FastifyRequest, reply: FastifyReply) => {
    const s = host.get(name);
    if (!s) {
      const err = host.error(name);
      return reply.code(404).send(notFound(
        err ? `model "${name}" cannot be served: ${err.message}` : `no model named "${name}" is served (GET /v1/models lists them)`,
        'model',
      ));
    }
    if (s.type === 'recommender') return reply.code(404).send(notFound(`model "${name}" is a recommender: use GET /v1/recommendations/{userId}`, 'model'));
    const p = s.predictor;
    const rows = body.rows;
    try {
      validateRows(name, p.inputs, rows, p.nullable);
      req.inference = { model: name, version: s.version, rows: rows.length };
      const out = p.predict(rows);
      return {
        model: name,
        version: s.version,
        predictions: out.predictions,
        ...(out.probabilities ? { probabilities: out.probabilities, classes: p.classes } : {}),
      };
    } catch (e) {
      if (e instanceof InputError) return reply.code(400).send(badRequest(e.field, e.message));
      throw e;
    }
  };
  const common = {
    bodyLimit: INFERENCE_BODY_LIMIT,
    validatorCompiler: fastBodyValidator as never,
    serializerCompiler: plainSerializer,
    onSend: ctx.audit ? ctx.audit.hook('predict') : undefined,
    preValidation: async (req: FastifyRequest, reply: FastifyReply) => {
      const rows = (req.body as { rows?: unknown } | null)?.rows;
      if (Array.isArray(rows) && rows.length > MAX_BATCH) return reply.code(413).send(tooLarge('rows', rows.length));
    },
  };

  // one documented route per served model, with its own input schema
  for (const s of host.all()) {
    if (s.type === 'recommender' || s.type === 'like' || RESERVED.has(s.name)) continue; // their own routes
    const row = featureRowSchema(s.predictor);
    schemas?.add(row, { id: `FeatureRow.${s.name}` });
    const p = s.predictor;
    app.post(`/v1/predict/${s.name}`, {
      ...common,
      schema: {
        summary: `Predict with ${s.name}`,
        description: `Runs the champion of "${s.name}" (${p.kind}, ${p.task}; v${s.version} when this document was ` +
          `made) on raw feature rows; the model applies its own preprocessing. Inputs: ${p.inputs.map((f) => `${f.name} (${f.kind})`).join(', ')}.`,
        tags: ['predictions'],
        body: z.strictObject({ rows: z.array(row).min(1).max(MAX_BATCH).describe(`feature rows (1..${MAX_BATCH})`) }),
        response: { 200: PredictResponse, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse },
      },
    }, async (req, reply) => handler(s.name, req.body as { rows: Record<string, unknown>[] }, req, reply));
  }

  // any other name: a model registered since this app was built (the app is rebuilt for it), or
  // an unknown one (404 naming it)
  app.post('/v1/predict/:model', {
    ...common,
    schema: {
      hide: true,
      params: z.object({ model: ModelName }),
      body: PredictBody,
      response: { 200: PredictResponse, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse },
    },
  }, async (req, reply) => handler(req.params.model, req.body, req, reply));
};
