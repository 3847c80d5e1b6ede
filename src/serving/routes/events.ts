// POST /v1/events: the collector. Takes a JSON array (or one object) or NDJSON, validates each
// event, keeps the valid ones and quarantines the rest with the reason, and answers only once
// both are durable in the write-ahead log.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AnyEvent } from '../../events/schemas.ts';
import { MalformedBodyError, parseJsonBody, parseNdjson, validateBatch } from '../../events/validate.ts';
import type { AppContext } from '../context.ts';
import { requireToken } from '../auth.ts';

export const MAX_EVENTS_PER_BATCH = 10_000;

const Rejection = z.object({
  index: z.number().int().describe('position of the event in the batch, from 0'),
  line: z.number().int().optional().describe('line of the body (NDJSON)'),
  event_id: z.string().optional(),
  field: z.string().describe('path of the offending field'),
  message: z.string(),
});
const EventsResponse = z.object({ accepted: z.number().int(), rejected: z.array(Rejection) });
const ErrorResponse = z.object({ error: z.string(), message: z.string(), line: z.number().optional(), column: z.number().optional() });

export const eventsRoutes: FastifyPluginAsync<{ ctx: AppContext }> = async (app, { ctx }) => {
  // Bodies arrive as text so NDJSON lines and JSON errors can be reported by line.
  app.addContentTypeParser(['application/x-ndjson', 'application/ndjson', 'application/jsonl'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.removeContentTypeParser('application/json'); // the app's parser, replaced in this plugin only
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/v1/events', {
    preHandler: requireToken(ctx.config.apiToken),
    // The documented body is a list of events; validation is per event in the handler (a bad
    // event must not reject its whole batch), so the route-level validator accepts the text.
    validatorCompiler: () => (data) => ({ value: data }),
    schema: {
      summary: 'Collect events',
      description: 'A JSON array of events (or one event), or NDJSON (application/x-ndjson). Valid events are stored durably before the answer; invalid ones go to quarantine and are listed in `rejected`. 422 when every event is rejected.',
      tags: ['events'],
      body: z.array(AnyEvent).max(MAX_EVENTS_PER_BATCH),
      response: { 200: EventsResponse, 422: EventsResponse, 400: ErrorResponse, 413: ErrorResponse },
    },
  }, async (req, reply) => {
    const text = req.body as unknown as string;
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    let items;
    try {
      items = ct === 'application/json' ? parseJsonBody(text) : parseNdjson(text);
    } catch (e) {
      if (e instanceof MalformedBodyError) {
        return reply.code(400).send({ error: 'malformed_json', message: e.message, ...(e.line ? { line: e.line, column: e.column } : {}) });
      }
      throw e;
    }
    if (items.length > MAX_EVENTS_PER_BATCH) {
      return reply.code(413).send({ error: 'batch_too_large', message: `a batch holds at most ${MAX_EVENTS_PER_BATCH} events, got ${items.length}` });
    }
    const batch = validateBatch(items, 'http');
    await ctx.lake.append(batch.quarantine.length ? batch.records.concat(batch.quarantine) : batch.records);
    const code = batch.accepted === 0 && batch.rejected.length > 0 ? 422 : 200;
    return reply.code(code).send({ accepted: batch.accepted, rejected: batch.rejected });
  });
};
