// The error of a bad request body. Its own module because both the row validation
// (predictor.ts) and the load-time model check (model-check.ts), which predictor.ts runs, raise
// it: kept in predictor.ts it made the two import each other.

/** A bad request body, with the JSON path of the offending field. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly field: string, message: string) { super(message); }
}
