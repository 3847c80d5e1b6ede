// Shared helpers for side-by-side benchmarks: run an anchor script (Debian's python3), parse its
// JSON lines, time our own code, and print both with the ratio.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, sharedPath } from '../src/util/paths.ts';

export const PYTHON = '/usr/bin/python3';
export const benchOut = join(packageRoot, 'bench', 'out');
mkdirSync(benchOut, { recursive: true });

export function anchorScript(name: string): string {
  const p = sharedPath('anchors', name);
  if (!p) throw new Error(`anchor ${name} not found: ../shared/anchors is needed for this benchmark`);
  return p;
}

/** Runs an anchor script and returns its JSON lines as objects. */
export function runAnchor(script: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Record<string, any>[] {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found (apt-get install python3-sklearn ...)`);
  // a bare name is one of ../shared/anchors; a path is the repository's own (bench/anchors/)
  const r = spawnSync(PYTHON, [script.includes('/') ? script : anchorScript(script), ...args], {
    encoding: 'utf8', maxBuffer: 64 << 20, cwd: opts.cwd, env: { ...process.env, ...opts.env },
  });
  if (r.status !== 0) throw new Error(`anchor ${script} failed (${r.status}):\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l));
}

export async function timeIt<T>(fn: () => T | Promise<T>): Promise<{ s: number; value: T }> {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { s: Number(process.hrtime.bigint() - t) / 1e9, value };
}

export interface Row { name: string; [k: string]: unknown }

/** Prints rows as an aligned table and one JSON line each (for machines). */
export function report(title: string, rows: Row[]): void {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v ?? ''));
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => fmt(r[k]).length)));
  console.log(`\n== ${title}`);
  console.log(keys.map((k, i) => k.padEnd(widths[i]!)).join('  '));
  for (const r of rows) console.log(keys.map((k, i) => fmt(r[k]).padEnd(widths[i]!)).join('  '));
  for (const r of rows) console.log('JSON ' + JSON.stringify({ bench: title, ...r }));
}

/** The median of some measurements (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b), m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** ratio = anchor / ours for times (bigger is better for us), printed as "N.NNx". */
export function speedup(anchorSeconds: number, oursSeconds: number): string {
  return `${(anchorSeconds / oursSeconds).toFixed(2)}x`;
}
