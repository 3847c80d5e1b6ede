// The errors every estimator raises, so callers (CLI, API) can map them to clear messages.

export class NotFittedError extends Error {
  override name = 'NotFittedError';
  constructor(estimator: string) {
    super(`${estimator} is not fitted yet: call fit() before predict() or transform()`);
  }
}

export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

export class InvalidParameterError extends Error {
  override name = 'InvalidParameterError';
}
