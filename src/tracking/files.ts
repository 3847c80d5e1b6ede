// Content files of runs and model versions under TRIBUTARY_HOME: written atomically (temp file,
// fsync, rename) and identified by sha256, so a reader never sees half a file and a later
// change on disk is detected.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { TrackingError } from './errors.ts';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Checks a user-given artifact name: a relative path of plain segments, so it cannot escape
 * its run's folder.
 */
export function checkArtifactName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw new TrackingError(`artifact name must be 1..255 characters, got ${JSON.stringify(name)}`);
  }
  const norm = normalize(name);
  if (isAbsolute(name) || norm.startsWith('..') || norm.split(sep).some((s) => s === '..' || s === '')) {
    throw new TrackingError(`artifact name ${JSON.stringify(name)} must be a relative path inside the run (no "..")`);
  }
  if (!/^[\w.\-/ ]+$/.test(name)) {
    throw new TrackingError(`artifact name ${JSON.stringify(name)} may only hold letters, digits, "_", "-", ".", "/" and spaces`);
  }
  return norm;
}

export interface StoredFile {
  /** relative to home */
  path: string;
  sha256: string;
  size: number;
}

/** Writes bytes to home/relPath atomically and durably. */
export function writeFileAtomic(home: string, relPath: string, bytes: Uint8Array): StoredFile {
  const abs = join(home, relPath);
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, abs);
  return { path: relPath, sha256: sha256Hex(bytes), size: bytes.length };
}

/** Reads a file given as a path, with a clear error when it is missing. */
export function readInputFile(path: string, what: string): Uint8Array {
  try {
    if (!statSync(path).isFile()) throw new TrackingError(`${what}: ${path} is not a file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof TrackingError) throw e;
    throw new TrackingError(`${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}
