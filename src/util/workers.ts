// Worker threads that run our TypeScript sources. When the process runs through tsx (tests,
// the CLI), the worker needs the same loader; compiled JavaScript would not.
// Node 20 does not apply `--import tsx` from a worker's execArgv to the worker's own module
// loading (the entry fails with "Unknown file extension .ts"), so a .ts entry is started from a
// tiny ESM bootstrap (a data: URL) that registers tsx's loader in the worker and then imports it.
// When the CLI runs from its bundle (bin/cli-bundle.js), the worker's bundled entry is used.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { packageRoot } from './paths.ts';

export function createWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  const bundled = bundledEntry(url);
  if (bundled) return new Worker(bundled, { ...options, execArgv: withoutTsx(options.execArgv ?? process.execArgv) });
  const execArgv = withoutTsx(options.execArgv ?? process.execArgv);
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(url.href)});`;
  return new Worker(new URL('data:text/javascript,' + encodeURIComponent(boot)), { ...options, execArgv });
}

/** The bundled entry of a worker source (src/x/y-worker.ts → BUNDLE/x/y-worker.js), when the CLI runs from its bundle. */
export function bundledEntry(url: URL): URL | null {
  const bundle = process.env.TRIBUTARY_CLI_BUNDLE;
  if (!bundle || url.protocol !== 'file:') return null;
  const rel = relative(join(packageRoot, 'src'), fileURLToPath(url));
  if (rel.startsWith('..')) return null;
  const entry = join(bundle, rel.replace(/\.ts$/, '.js'));
  return existsSync(entry) ? pathToFileURL(entry) : null;
}

/** execArgv minus tsx's own flags (`--import tsx`, `--require .../tsx/...preflight.cjs`): the bootstrap loads tsx itself. */
function withoutTsx(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (['--import', '--require', '-r', '--loader', '--experimental-loader'].includes(a) && args[i + 1]?.includes('tsx')) { i++; continue; }
    if (a.includes('tsx')) continue;
    out.push(a);
  }
  return out;
}

/** One worker per core by default; TRIBUTARY_THREADS overrides (1 disables threading). */
export function defaultThreads(): number {
  const env = Number(process.env.TRIBUTARY_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}
