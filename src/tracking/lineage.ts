// What a model version records to be reproducible: the code version, a hash of the training
// configuration, and the lake snapshots it read.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/paths.ts';
import { RegistryError } from './errors.ts';

export interface SnapshotRef {
  /** 'zone.name' */
  table: string;
  snapshot: number;
}

/** JSON with object keys sorted at every level, so equal configurations hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    }
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
    return v;
  });
}

export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

let cachedCodeVersion: string | undefined;

/**
 * The git commit of the checkout ("-dirty" when tracked files differ from it), else the
 * package version; TRIBUTARY_CODE_VERSION overrides both (images built without .git).
 */
export function codeVersion(): string {
  if (process.env.TRIBUTARY_CODE_VERSION) return process.env.TRIBUTARY_CODE_VERSION;
  if (cachedCodeVersion) return cachedCodeVersion;
  const git = (args: string[]) =>
    execFileSync('git', ['-C', packageRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  try {
    const sha = git(['rev-parse', 'HEAD']);
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error('not a commit');
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    cachedCodeVersion = dirty ? `${sha}-dirty` : sha;
  } catch {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string };
    cachedCodeVersion = `${pkg.name}@${pkg.version}`;
  }
  return cachedCodeVersion;
}

/** Validates lineage snapshots given by callers, naming the bad entry. */
export function checkSnapshotRefs(refs: unknown, field = 'lineage.snapshots'): SnapshotRef[] {
  if (refs === undefined) return [];
  if (!Array.isArray(refs)) throw new RegistryError(`${field} must be a list of {table, snapshot}`);
  const seen = new Set<string>();
  return refs.map((r, i) => {
    const table = (r as SnapshotRef)?.table;
    const snapshot = (r as SnapshotRef)?.snapshot;
    if (typeof table !== 'string' || !/^[a-z][a-z0-9_]*\.[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(table)) {
      throw new RegistryError(`${field}[${i}].table must be "zone.name", got ${JSON.stringify(table)}`);
    }
    if (!Number.isSafeInteger(snapshot) || snapshot < 1) {
      throw new RegistryError(`${field}[${i}].snapshot must be a positive integer, got ${JSON.stringify(snapshot)}`);
    }
    if (seen.has(table)) throw new RegistryError(`${field}[${i}]: table ${table} is listed twice`);
    seen.add(table);
    return { table, snapshot };
  });
}

/** Typed arrays as plain arrays: a model artifact is JSON that any tool can read. */
export function artifactJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}
