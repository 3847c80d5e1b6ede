/** The CLI bundle's folder for the sources as they are now, built if missing; null when it cannot be built (bin/cli-bundle.js). */
export function cliBundle(root?: string): Promise<string | null>;
