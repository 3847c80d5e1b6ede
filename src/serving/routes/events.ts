// POST /v1/events: the collector. Takes a JSON array (or one object) or NDJSON, validates each
// event, keeps the valid ones and quarantines the rest with the reason, and answers only once
// both are durable in the write-ahead log.
import { isUtf8 } from 'node:buffer';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AnyEvent } from '../../events/schemas.ts';
import { MalformedBodyError, parseJsonBody, parseNdjson, validateBatch } from '../../events/validate.ts';
import type { AppContext } from '../context.ts';
import { describeStorageError } from '../../lake/wal.ts';
import { BEARER } from '../conventions.ts';
import type { ApiMetrics } from '../metrics.ts';
import { Problem, problem } from '../problem.ts';

export const MAX_EVENTS_PER_BATCH = 10_000;

const Rejection = z.object({
  index: z.number().int().describe('position of the event in the batch, from 0'),
  line: z.number().int().optional().describe('line of the body (NDJSON)'),
  event_id: z.string().optional(),
  field: z.string().describe('path of the offending field'),
  message: z.string(),
});
const EventsResponse = z.object({ accepted: z.number().int(), rejected: z.array(Rejection) });
/** Every event rejected: a problem (code events_rejected) that still carries the per-event list. */
const EventsRejected = Problem.extend({ accepted: z.literal(0), rejected: z.array(Rejection) })
  .describe('RFC 9457 problem details (error: events_rejected) with the rejections, each naming its field');

/** Seconds a client should wait before retrying when events cannot be stored. */
export const RETRY_AFTER_SECONDS = 5;

/** Bodies are read as bytes: a body that is not valid UTF-8 is a 400, never silently repaired. */
function utf8Text(body: Buffer): string {
  if (!isUtf8(body)) throw Object.assign(new Error('the body is not valid UTF-8'), { statusCode: 400, code: 'TRIB_INVALID_UTF8' });
  return body.toString('utf8');
}

export const eventsRoutes: FastifyPluginAsync<{ ctx: AppContext; metrics?: ApiMetrics }> = async (app, { ctx, metrics }) => {
  // Bodies arrive as text so NDJSON lines and JSON errors can be reported by line. Only JSON and
  // NDJSON are taken (anything else, text/plain included, is a 415).
  const asText = (_req: unknown, body: string | Buffer, done: (e: Error | null, v?: unknown) => void) => {
    try { done(null, utf8Text(body as Buffer)); } catch (e) { done(e as Error); }
  };
  app.removeAllContentTypeParsers(); // the app's parsers, replaced in this plugin only
  app.addContentTypeParser(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json'], { parseAs: 'buffer' }, asText);

  app.post('/v1/events', {
    // The documented body is a list of events; validation is per event in the handler (a bad
    // event must not reject its whole batch), so the route-level validator accepts the text.
    validatorCompiler: () => (data) => ({ value: data }),
    schema: {
      summary: 'Collect events',
      description: 'A JSON array of events (or one event), or NDJSON (application/x-ndjson). Valid events are stored ' +
        'durably before the answer; invalid ones go to quarantine and are listed in `rejected`. 422 when every event is rejected.',
      tags: ['events'], security: BEARER,
      body: z.array(AnyEvent).max(MAX_EVENTS_PER_BATCH),
      response: { 200: EventsResponse, 422: EventsRejected, 400: Problem, 413: Problem, 415: Problem, 503: Problem },
    },
  }, async (req, reply) => {
    const text = req.body as unknown as string;
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    let items;
    try {
      items = ct === 'application/json' ? parseJsonBody(text) : parseNdjson(text);
    } catch (e) {
      if (e instanceof MalformedBodyError) {
        return reply.code(400).send({
          error: e.code,
          message: e.message,
          ...(e.line ? { line: e.line, column: e.column } : {}),
          ...(e.key !== undefined ? { key: e.key } : {}),
        });
      }
      throw e;
    }
    if (items.length > MAX_EVENTS_PER_BATCH) {
      return reply.code(413).send({ error: 'batch_too_large', message: `a batch holds at most ${MAX_EVENTS_PER_BATCH} events, got ${items.length}` });
    }
    const batch = validateBatch(items, 'http');
    try {
      await ctx.lake.append(batch.quarantine.length ? batch.records.concat(batch.quarantine) : batch.records);
    } catch (e) {
      // not durable, so not acknowledged: the client is told why and when to try again
      const fault = describeStorageError(e);
      req.log.warn(`events not stored: ${fault.reason} (${fault.code})`);
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({
          error: 'storage_unavailable',
          message: `events cannot be made durable now: ${fault.reason} (${fault.code}); nothing of this batch was acknowledged, retry it later`,
        });
    }
    ctx.collected?.record(batch.accepted, batch.rejected.length);
    if (metrics) {
      for (const [type, n] of Object.entries(batch.byType)) metrics.events.inc({ type, outcome: 'accepted' }, n);
      for (const [type, n] of Object.entries(batch.rejectedByType)) metrics.events.inc({ type, outcome: 'rejected' }, n);
    }
    if (batch.accepted === 0 && batch.rejected.length > 0) {
      const first = batch.rejected[0]!;
      const where = first.line ? `line ${first.line}` : `event ${first.index}`;
      const detail = `every event was rejected (${batch.rejected.length}; they are in quarantine); the first, ${where}: ${first.field}: ${first.message}`;
      return reply.code(422).send(problem(422, 'events_rejected', detail, { field: first.field, accepted: 0, rejected: batch.rejected }));
    }
    return reply.code(200).send({ accepted: batch.accepted, rejected: batch.rejected });
  });
};
