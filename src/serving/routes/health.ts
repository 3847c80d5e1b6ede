// Liveness and readiness: /healthz answers while the process runs; /readyz once the metadata
// database answers (the lake has already replayed its segments and the champions are loaded
// before the server listens).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from '../../metadata/kysely.ts';
import { z } from 'zod';
import type { AppContext } from '../context.ts';

const Status = z.object({ status: z.string(), message: z.string().optional(), models: z.number().int().optional().describe('models served') });

export const healthRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['operations'], response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: the metadata database answers', tags: ['operations'], response: { 200: Status, 503: Status } } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(ctx.store.db);
      return { status: 'ready', models: ctx.models?.all().length ?? 0 };
    } catch (e) {
      return reply.code(503).send({ status: 'not ready', message: (e as Error).message });
    }
  });
};
