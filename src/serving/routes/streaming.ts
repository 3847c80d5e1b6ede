// GET /v1/streaming/services: the streaming services and lake writers running on the bus, each
// with its latest figures (records, rate, errors, latency p50/p99 and its own), as they report
// them every 2 s. Served in scale-out mode (NATS_URL); the dashboard's Pipelines page reads it.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.ts';

const Service = z.object({
  service: z.string().describe('e.g. stream-normalizer, lake-writer'),
  pid: z.number().int(),
  url: z.string().describe('its /healthz, /metrics and /v1/status'),
  at: z.string().describe('when it last reported'),
  records: z.number().optional(),
  rate_per_s: z.number().optional(),
  errors: z.number().optional(),
  latency_ms: z.object({ p50: z.number().nullable(), p99: z.number().nullable() }).optional(),
}).passthrough();

export const streamingRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/v1/streaming/services', {
    schema: {
      summary: 'Streaming services and lake writers with their latest figures',
      tags: ['operations'],
      response: { 200: z.object({ services: z.array(Service) }) },
    },
  }, async () => ({ services: (ctx.services?.services() ?? []) as z.infer<typeof Service>[] }));
};
