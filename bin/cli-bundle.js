// The CLI's start-up bundle. Running the sources through tsx costs ~0.8 s per process (and per
// worker thread): every one of ~200 modules crosses tsx's loader thread to be resolved and
// transpiled. So the CLI runs from one esbuild bundle of src/ (the CLI and every worker entry,
// split into shared chunks), built on first use into node_modules/.cache and rebuilt when any
// source file changes (the key hashes every file's path, size and mtime, ~5 ms). There is no
// build step to forget: a stale or missing bundle is rebuilt (~0.3 s), and if esbuild cannot
// build it the CLI runs the sources through tsx as before. Tests import the sources directly.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** bumped when the way the bundle is built changes */
const FORMAT = 4;

function sourceFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else out.push(p);
  }
  return out;
}

/**
 * The bundle's folder for the sources as they are now, built if missing; null when it cannot be
 * built. `root`: the package (src/cli/main.ts and every source named ...worker.ts are the entries).
 */
export async function cliBundle(root = packageRoot) {
  const src = join(root, 'src'), cacheDir = join(root, 'node_modules', '.cache', 'tributary-cli');
  if (process.env.TRIBUTARY_NO_BUNDLE === '1' || !existsSync(join(src, 'cli', 'main.ts'))) return null;
  const files = sourceFiles(src).sort();
  const h = createHash('sha1').update(`${FORMAT}\n${process.version}\n`);
  for (const f of [...files, join(root, 'package-lock.json'), join(root, 'tsconfig.json')]) {
    if (!existsSync(f)) continue;
    const s = statSync(f);
    h.update(`${relative(root, f)}\t${s.size}\t${s.mtimeMs}\n`);
  }
  const dir = join(cacheDir, h.digest('hex').slice(0, 16));
  if (existsSync(join(dir, 'cli', 'main.js'))) return dir;
  try {
    await build(root, dir, files);
    return dir;
  } catch (e) {
    if (process.env.DEBUG) console.error(`cli bundle not built, running the sources through tsx: ${e.message}`);
    return null;
  }
}

async function build(root, dir, files) {
  const esbuild = await import('esbuild');
  const src = join(root, 'src'), cacheDir = dirname(dir);
  const entryPoints = [join(src, 'cli', 'main.ts'), ...files.filter((f) => /worker\.ts$/.test(f))];
  const tmp = `${dir}.tmp-${process.pid}`;
  await esbuild.build({
    entryPoints, outdir: tmp, outbase: src, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    // packages load from node_modules as they are (native addons, optional drivers, worker
    // transports found by path), but for the pure-JS ones every command loads at start
    external: externals(root), sourcemap: 'linked', logLevel: 'silent',
    // the bundled CommonJS packages require node's built-ins
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    plugins: [sourceUrls],
  });
  // a concurrent process may have built the same key: either copy is complete, keep the first
  mkdirSync(cacheDir, { recursive: true });
  try { renameSync(tmp, dir); } catch { rmSync(tmp, { recursive: true, force: true }); }
  // older bundles go once no process started in the last hour can still be loading their chunks
  for (const old of readdirSync(cacheDir)) {
    const p = join(cacheDir, old);
    if (p !== dir && Date.now() - statSync(p).mtimeMs > 3600_000) rmSync(p, { recursive: true, force: true });
  }
}

/**
 * Packages bundled: JavaScript loaded by every command (zod alone is ~95 ESM files, kysely and
 * DuckDB's API ~90 CommonJS files). DuckDB's native bindings stay outside.
 */
const BUNDLED = new Set(['zod', 'commander', 'kysely', '@duckdb/node-api']);
const NATIVE = ['@duckdb/node-bindings'];

function externals(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => !BUNDLED.has(d)).concat(NATIVE)
    .flatMap((d) => [d, `${d}/*`, `${d}-*`]);
}

/**
 * Under tsx, kysely and DuckDB's API are required as CommonJS through createRequire (see
 * src/metadata/kysely.ts); in the bundle that require becomes a bundled one.
 */
function bundledRequires(text) {
  return text.replace(/createRequire\(import\.meta\.url\)\('([^']+)'\)/g, (m, name) => (BUNDLED.has(name) ? `require(${JSON.stringify(name)})` : m));
}

/**
 * Each source keeps its own import.meta.url (its path under src/): worker entries, package.json
 * and data files are found relative to the source file, as they are when tsx runs it, and
 * createWorker (src/util/workers.ts) maps a worker's source path to its bundled entry.
 */
const sourceUrls = {
  name: 'source-urls',
  setup(b) {
    b.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => ({
      contents: bundledRequires(readFileSync(args.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};
