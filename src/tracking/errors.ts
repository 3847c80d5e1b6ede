// Errors of tracking and the registry. Each names what was asked for, so a CLI user or an API
// log line says which model, version or run is wrong without a stack trace.

export class TrackingError extends Error {
  override name = 'TrackingError';
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** A model, version or alias that the registry does not hold. */
export class NotFoundError extends RegistryError {
  override name = 'NotFoundError';
}

/** The artifact file no longer matches the sha256 recorded when the version was registered. */
export class ArtifactIntegrityError extends RegistryError {
  override name = 'ArtifactIntegrityError';
  constructor(
    readonly model: string,
    readonly version: number,
    readonly expected: string,
    readonly actual: string,
    readonly path: string,
  ) {
    super(
      `model "${model}" version ${version}: artifact ${path} is corrupted or was modified ` +
      `(sha256 recorded ${expected}, file has ${actual}); refusing to load it`,
    );
  }
}
