// Shapes and limits shared by the inference routes.
import { z } from 'zod';

/** Every error answer is a problem (problem.ts); routes send { error, message, field? } and the app completes it. */
export { Problem as ErrorResponse } from '../problem.ts';
import { problem, type ProblemBody } from '../problem.ts';

/** rows (or ids) in one request */
export const MAX_BATCH = 10_000;
/** bytes of one inference request body */
export const INFERENCE_BODY_LIMIT = 4 << 20;

export const ModelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).describe('registered model name');

export function badRequest(field: string, message: string): ProblemBody {
  return problem(400, 'invalid_request', message, { field });
}

export function notFound(message: string, field?: string): ProblemBody {
  return problem(404, 'not_found', message, field ? { field } : {});
}

export function tooLarge(field: string, n: number, max = MAX_BATCH): ProblemBody {
  return problem(413, 'batch_too_large', `${field}: a request holds at most ${max} items, got ${n}`, { field });
}

/**
 * The answers of inference routes are built by our own code from typed values, so they are
 * serialised with JSON.stringify: validating each answer against its schema again (the zod
 * serializer) costs more than the prediction. The schemas still document the answers.
 */
export const plainSerializer = () => (data: unknown) => JSON.stringify(data);
