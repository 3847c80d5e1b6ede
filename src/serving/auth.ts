// Bearer-token check for write endpoints (events, promotions) when TRIBUTARY_API_TOKEN is set.
// Compared in constant time; the token itself is never logged.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function requireToken(token: string | undefined) {
  const expected = token ? Buffer.from(token) : undefined;
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!expected) return;
    const h = req.headers.authorization ?? '';
    const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a valid bearer token is required for this endpoint' });
    }
  };
}
