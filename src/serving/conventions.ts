// Conventions every route gets from the app, including routes added later by other plugins:
// - a route whose schema declares `security: [{ bearer: [] }]` is protected by the bearer token
//   (when TRIBUTARY_API_TOKEN is set) and documents its 401: what is declared is what is enforced;
// - every documented 4xx/5xx answer has the one error shape, `Problem` (see problem.ts).
import type { FastifyInstance, RouteOptions } from 'fastify';
import { requireToken } from './auth.ts';
import { Problem } from './problem.ts';

/** The schema's `security` for a route that needs the bearer token. */
export const BEARER = [{ bearer: [] as string[] }];

export function installRouteConventions(app: FastifyInstance, token: string | undefined): void {
  const check = requireToken(token);
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as (RouteOptions['schema'] & { security?: unknown[]; response?: Record<string, unknown>; hide?: boolean }) | undefined;
    if (!schema) return;
    if (schema.security?.length) {
      // onRequest: the token is checked before the body is read, parsed or validated
      const pre = route.onRequest;
      route.onRequest = pre ? [check, ...(Array.isArray(pre) ? pre : [pre])] : check;
      schema.response = { ...schema.response, 401: Problem };
    }
    if (schema.response) {
      for (const code of Object.keys(schema.response)) {
        if (/^[45]\d\d$/.test(code)) schema.response[code] = Problem;
      }
    }
  });
}
