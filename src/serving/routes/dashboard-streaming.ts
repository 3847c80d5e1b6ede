// GET /v1/dashboard/streaming: the streaming services' figures, from what they keep in the lake
// (src/analytics/stream/records.ts): records made by the generator (raw.person) and the
// normalizer (curated.person_normalized), and per minute the consumer's prediction requests with
// their successes, errors and latency (inference.stream_predictions). The services run as
// processes of their own; the lake is where all of them meet.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DashboardData } from '../dashboard/data.ts';
import { ErrorResponse } from './common.ts';

const RAW = 'raw.person', NORMALIZED = 'curated.person_normalized', PREDICTIONS = 'inference.stream_predictions';
const HINT = 'no streaming data yet: run `tributary demo --stream` (or the services: `tributary stream generator|normalizer|trainer|consumer`)';

const Streaming = z.object({
  hint: z.string().nullable(),
  records: z.object({ generated: z.number().int(), normalized: z.number().int(), predictions: z.number().int() }),
  minutes: z.array(z.object({
    minute: z.string().describe('UTC minute'), requests: z.number().int(), ok: z.number().int(), errors: z.number().int(),
    latency_p50_ms: z.number().nullable(), latency_p99_ms: z.number().nullable(),
  })).describe('the last 60 minutes with prediction requests, oldest first'),
});

export const dashboardStreamingRoutes: FastifyPluginAsyncZod<{ data: DashboardData }> = async (app, { data }) => {
  app.get('/v1/dashboard/streaming', {
    schema: {
      summary: 'Streaming services: records, prediction requests, errors and latency per minute',
      tags: ['dashboard'],
      response: { 200: Streaming, 400: ErrorResponse },
    },
  }, async () => data.cached('streaming', async () => {
    const count = async (t: string) => (await data.has(t) ? (await data.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n : 0);
    const records = { generated: await count(RAW), normalized: await count(NORMALIZED), predictions: await count(PREDICTIONS) };
    const minutes = records.predictions ? await data.query<z.infer<typeof Streaming>['minutes'][number]>(
      `SELECT * FROM (
         SELECT strftime(date_trunc('minute', CAST(ts AS TIMESTAMPTZ)), '%Y-%m-%dT%H:%MZ') AS minute, count(*) AS requests,
                count(*) FILTER (WHERE status = 'ok') AS ok, count(*) FILTER (WHERE status <> 'ok') AS errors,
                quantile_cont(latency_ms, 0.5) AS latency_p50_ms, quantile_cont(latency_ms, 0.99) AS latency_p99_ms
         FROM ${PREDICTIONS} GROUP BY 1 ORDER BY 1 DESC LIMIT 60) ORDER BY minute`) : [];
    return { hint: records.generated + records.normalized + records.predictions ? null : HINT, records, minutes };
  }));
};
