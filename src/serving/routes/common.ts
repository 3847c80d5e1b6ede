// Shapes and limits shared by the inference routes.
import { z } from 'zod';

export const ErrorResponse = z.object({
  error: z.string().describe('machine-readable code'),
  message: z.string().describe('what was wrong, naming the field'),
  field: z.string().optional().describe('path of the offending field'),
});

/** rows (or ids) in one request */
export const MAX_BATCH = 10_000;
/** bytes of one inference request body */
export const INFERENCE_BODY_LIMIT = 4 << 20;

export const ModelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).describe('registered model name');

export function badRequest(field: string, message: string) {
  return { error: 'invalid_request', field, message };
}

export function notFound(message: string, field?: string) {
  return { error: 'not_found', message, ...(field ? { field } : {}) };
}

export function tooLarge(field: string, n: number, max = MAX_BATCH) {
  return { error: 'batch_too_large', field, message: `${field}: a request holds at most ${max} items, got ${n}` };
}

/**
 * The answers of inference routes are built by our own code from typed values, so they are
 * serialised with JSON.stringify: validating each answer against its schema again (the zod
 * serializer) costs more than the prediction. The schemas still document the answers.
 */
export const plainSerializer = () => (data: unknown) => JSON.stringify(data);
