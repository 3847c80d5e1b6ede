// The retail endpoints, over the models the retail pipeline registers:
// POST /v1/predict/spend: a customer's predicted spend over the next horizon (90 days), from its
// id (online features, in memory) or from raw features, one or a batch.
// POST /v1/segment: a customer's segment and the k most similar customers, from its id or a
// raw profile (recency, frequency, monetary, category mix), one or a batch.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { problem } from '../problem.ts';
import { validateRows } from '../predictor.ts';
import { InputError } from '../input-error.ts';
import { SEGMENT_MODEL, SPEND_MODEL, type SegmentServable, type SpendServable } from '../servables.ts';
import { ErrorResponse, INFERENCE_BODY_LIMIT, MAX_BATCH, badRequest, notFound, tooLarge, plainSerializer } from './common.ts';

const CustomerId = z.string().min(1).max(64);
const MAX_SEGMENT_BATCH = 1000;

const SpendBody = z.strictObject({
  customer_id: CustomerId.optional().describe('one known customer: its features are looked up online'),
  customer_ids: z.array(CustomerId).min(1).optional().describe(`known customers (1..${MAX_BATCH})`),
  features: z.record(z.string(), z.number()).optional().describe('one customer\'s raw features (GET /v1/models lists them)'),
  rows: z.array(z.record(z.string(), z.number())).min(1).optional().describe(`raw feature rows (1..${MAX_BATCH})`),
}).describe('exactly one of customer_id, customer_ids, features, rows');
const SpendResponse = z.object({
  model: z.string(), version: z.number().int(), horizon_days: z.number().int(),
  features_snapshot: z.string().optional().describe('lake table@snapshot the online features of ids came from'),
  predictions: z.array(z.object({ customer_id: z.string().optional(), spend: z.number().describe('predicted revenue over the horizon') })),
});

const Profile = z.strictObject({
  recency: z.number().min(0).describe('days since the last purchase'),
  frequency: z.number().min(0).describe('invoices'),
  monetary: z.number().min(0).describe('revenue'),
  mix: z.record(z.string(), z.number().min(0).max(1)).optional().describe('revenue share per product category'),
});
const SegmentBody = z.strictObject({
  customer_id: CustomerId.optional(),
  customer_ids: z.array(CustomerId).min(1).optional().describe(`known customers (1..${MAX_SEGMENT_BATCH})`),
  profile: Profile.optional(),
  profiles: z.array(Profile).min(1).optional().describe(`raw profiles (1..${MAX_SEGMENT_BATCH})`),
  k: z.number().int().min(0).max(100).default(5).describe('how many similar customers to return'),
}).describe('exactly one of customer_id, customer_ids, profile, profiles');
const Similar = z.object({ customer_id: z.string(), distance: z.number(), segment: z.number().int(), name: z.string() });
const SegmentResponse = z.object({
  model: z.string(), version: z.number().int(),
  results: z.array(z.object({
    customer_id: z.string().optional(), segment: z.number().int(), name: z.string(), distance: z.number().describe('to the segment centre'),
    similar: z.array(Similar),
  })),
});

const idSets = new WeakMap<SegmentServable, Set<string>>();
function idsOf(s: SegmentServable): Set<string> {
  let ids = idSets.get(s);
  if (!ids) idSets.set(s, (ids = new Set(s.model.state.ids)));
  return ids;
}

function exactlyOne(body: Record<string, unknown>, keys: string[]): string | null {
  const given = keys.filter((k) => body[k] !== undefined);
  return given.length === 1 ? given[0]! : null;
}

const batchLimit = (keys: string[], max: number) => async (req: { body: unknown }, reply: { code(n: number): { send(b: unknown): unknown } }) => {
  const b = req.body as Record<string, unknown> | null;
  for (const k of keys) {
    const v = b?.[k];
    if (Array.isArray(v) && v.length > max) return reply.code(413).send(tooLarge(k, v.length, max));
  }
};

export const retailRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const host = ctx.models!;
  const spendModel = () => { const s = host.get(SPEND_MODEL); return s?.type === 'spend' ? s : undefined; };
  const segModel = () => { const s = host.get(SEGMENT_MODEL); return s?.type === 'segment' ? s : undefined; };
  // what both inference routes share: body limit, plain serializer, audit, batch-size limit
  const inferenceOptions = (endpoint: string, batchKeys: string[], max: number) => ({
    bodyLimit: INFERENCE_BODY_LIMIT,
    serializerCompiler: plainSerializer,
    onSend: ctx.audit?.hook(endpoint),
    preValidation: batchLimit(batchKeys, max) as never,
  });

  if (spendModel()) {
    app.post('/v1/predict/spend', {
      ...inferenceOptions('predict/spend', ['customer_ids', 'rows'], MAX_BATCH),
      schema: {
        summary: 'Predict a customer\'s spend', tags: ['retail'],
        description: `Predicted revenue of a customer over the next 90 days, by customer id (features served from ` +
          `memory, refreshed on each new snapshot of the sales lines) or from raw features. Model: the champion of "${SPEND_MODEL}".`,
        body: SpendBody, response: { 200: SpendResponse, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse, 503: ErrorResponse },
      },
    }, async (req, reply) => {
      const s = spendModel()!;
      const b = req.body;
      const which = exactlyOne(b, ['customer_id', 'customer_ids', 'features', 'rows']);
      if (!which) return reply.code(400).send(badRequest('(body)', 'give exactly one of customer_id, customer_ids, features, rows'));
      req.inference = { model: s.name, version: s.version, rows: (b.customer_ids ?? b.rows)?.length ?? 1 };
      const base = { model: s.name, version: s.version, horizon_days: s.horizonDays };
      if (which === 'features' || which === 'rows') {
        const rows = which === 'rows' ? b.rows! : [b.features!];
        try {
          validateRows(s.name, s.predictor.inputs, rows, false);
        } catch (e) {
          if (e instanceof InputError) {
            // one row given as `features`: name it so in the error, not rows[0]
            const one = which === 'features';
            return reply.code(400).send(badRequest(
              one ? e.field.replace(/^rows\[0\]/, 'features') : e.field,
              one ? e.message.replace(/rows\[0\]/g, 'features') : e.message,
            ));
          }
          throw e;
        }
        return { ...base, predictions: s.predictor.predict(rows).predictions.map((p) => ({ spend: p as number })) };
      }
      const fs = ctx.features?.features;
      if (!fs) return reply.code(503).send(problem(
        503,
        'features_unavailable',
        `online features are not loaded yet${ctx.features?.error ? `: ${ctx.features.error}` : ''}; send raw features instead`,
      ));
      const ids = which === 'customer_id' ? [b.customer_id!] : b.customer_ids!;
      const predictions = [];
      for (let i = 0; i < ids.length; i++) {
        const x = fs.rows.get(ids[i]!);
        if (!x) return reply.code(404).send(notFound(
          `unknown customer_id ${JSON.stringify(ids[i])} (no sales in ${fs.table}@${fs.snapshot})`,
          which === 'customer_id' ? 'customer_id' : `customer_ids[${i}]`,
        ));
        predictions.push({ customer_id: ids[i]!, spend: s.predictVector(x) });
      }
      // the feature rows looked up, for the audit log (monitoring compares them with the training rows)
      req.inference.inputs = { columns: s.features, rows: ids.map((id) => Array.from(fs.rows.get(id)!)) };
      return { ...base, features_snapshot: `${fs.table}@${fs.snapshot}`, predictions };
    });
  }

  if (segModel()) {
    app.post('/v1/segment', {
      ...inferenceOptions('segment', ['customer_ids', 'profiles'], MAX_SEGMENT_BATCH),
      schema: {
        summary: 'Segment a customer', tags: ['retail'],
        description: `The segment of a known customer or of a raw profile, with the k most similar known customers. Model: the champion of "${SEGMENT_MODEL}".`,
        body: SegmentBody, response: { 200: SegmentResponse, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse },
      },
    }, async (req, reply) => {
      const s: SegmentServable = segModel()!;
      const b = req.body;
      const which = exactlyOne(b, ['customer_id', 'customer_ids', 'profile', 'profiles']);
      if (!which) return reply.code(400).send(badRequest('(body)', 'give exactly one of customer_id, customer_ids, profile, profiles'));
      req.inference = { model: s.name, version: s.version, rows: (b.customer_ids ?? b.profiles)?.length ?? 1 };
      const results = [];
      if (which === 'profile' || which === 'profiles') {
        const ps = which === 'profile' ? [b.profile!] : b.profiles!;
        for (let i = 0; i < ps.length; i++) {
          try {
            results.push(s.model.matchProfile(ps[i]!, b.k));
          } catch (e) {
            const field = which === 'profile' ? 'profile' : `profiles[${i}]`;
            return reply.code(400).send(badRequest(field, `${field}: ${(e as Error).message.replace(/^profile[.:]?\s*/, '')}`));
          }
        }
      } else {
        const ids = which === 'customer_id' ? [b.customer_id!] : b.customer_ids!;
        const known = idsOf(s);
        const fs = ctx.features?.features;
        const spend: SpendServable | undefined = spendModel();
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          if (known.has(id)) { results.push({ customer_id: id, ...s.model.matchCustomer(id, b.k) }); continue; }
          // a customer newer than the segmentation: its profile from the online features
          const x = fs?.rows.get(id);
          if (x && spend) {
            const col = (n: string) => x[spend.features.indexOf(n)]!;
            const mix = Object.fromEntries(s.model.state.categories.filter((c) => spend.features.includes(`mix_${c}`)).map((c) => [c, col(`mix_${c}`)]));
            results.push({
              customer_id: id,
              ...s.model.matchProfile(
                { recency: Math.floor(col('recency_days')), frequency: col('frequency'), monetary: Math.max(0, col('monetary')), mix },
                b.k,
              ),
            });
            continue;
          }
          return reply.code(404).send(notFound(
            `unknown customer_id ${JSON.stringify(id)} (not in the segmentation of ${s.model.customers} customers)`,
            which === 'customer_id' ? 'customer_id' : `customer_ids[${i}]`,
          ));
        }
      }
      return { model: s.name, version: s.version, results };
    });
  }
};
