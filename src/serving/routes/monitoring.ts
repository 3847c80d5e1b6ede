// GET /v1/monitoring/alerts: the alerts the monitor recorded (drift, prediction drift, live
// quality), newest first, for the dashboard and any other client. The alert schema is
// src/monitoring/alerts.ts's, the one the CLI report prints.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Alert, listAlerts } from '../../monitoring/alerts.ts';
import type { AppContext } from '../context.ts';
import { ErrorResponse, ModelName } from './common.ts';

export const AlertsResponse = z.object({ alerts: z.array(Alert) });

export const monitoringRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/v1/monitoring/alerts', {
    schema: {
      summary: 'Monitoring alerts', tags: ['monitoring'],
      description: 'Drift (PSI, Kolmogorov-Smirnov) and live-quality alerts raised by `tributary monitor report`, newest first.',
      querystring: z.object({
        model: ModelName.optional().describe('only this model'),
        since: z.iso.datetime({ offset: true }).optional().describe('only alerts raised at or after this time'),
        open: z.enum(['true', 'false']).optional().describe('true: only alerts no promotion has resolved'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      response: { 200: AlertsResponse, 400: ErrorResponse },
    },
  }, async (req) => {
    const q = req.query;
    const alerts = await listAlerts(ctx.store, {
      model: q.model,
      since: q.since ? new Date(q.since).toISOString() : undefined,
      open: q.open === 'true',
      limit: q.limit,
    });
    return { alerts };
  });
};
