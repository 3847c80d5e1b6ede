// Liveness and readiness: /healthz answers while the process runs; /readyz when the metadata
// database answers and the lake can make events durable (not while the disk is full or the
// data directory unwritable: then 503 with the reason and Retry-After, until it recovers by
// itself). The lake has replayed its segments and the champions are loaded before the server listens.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from '../../metadata/kysely.ts';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { RETRY_AFTER_SECONDS } from './events.ts';
import { errorLine } from '../../util/redact.ts';
import { Problem, problem } from '../problem.ts';

const Status = z.object({ status: z.string(), message: z.string().optional(), models: z.number().int().optional().describe('models served') });

export const healthRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['operations'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: {
    summary: 'Readiness: the metadata database answers',
    tags: ['operations'],
    response: { 200: Status, 503: Problem },
  } }, async (_req, reply) => {
    const lake = ctx.lake.health();
    if (!lake.ready) return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(problem(503, 'not_ready', lake.reason ?? 'not ready'));
    try {
      await sql`select 1`.execute(ctx.store.db);
      return { status: 'ready', models: ctx.models?.all().length ?? 0 };
    } catch (e) {
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(problem(503, 'not_ready', `metadata database: ${errorLine(e)}`));
    }
  });
};
