// Bearer-token check for write endpoints (events, promotions) when TRIBUTARY_API_TOKEN is set.
// Compared in constant time; the token itself is never logged.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function requireToken(...tokens: (string | undefined)[]) {
  const expected = tokens.filter((t): t is string => !!t).map((t) => Buffer.from(t));
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!expected.length) return;
    const h = req.headers.authorization ?? '';
    const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
    if (!expected.some((e) => given.length === e.length && timingSafeEqual(given, e))) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a valid bearer token is required for this endpoint' });
    }
  };
}

/** Routes that answer from models and write audit rows: guarded by the read token when one is set. */
export const READ_ROUTES = /^\/v1\/(predict|segment|recommendations)(\/|\?|$)/;
