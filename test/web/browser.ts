// Debian's chromium, headless, driven by playwright-core: a fresh profile per launch, no GPU, no
// background traffic of its own (so any request that leaves 127.0.0.1 is the page's doing).
// The dashboard's build (web/dist) is made when missing or older than its sources.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { packageRoot } from '../../src/util/paths.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A browser context on a fresh profile (--user-data-dir, which playwright passes for a persistent context). */
export async function launchChromium(
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'trib-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { context, async close() { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds web/dist (as `npm install` does) when it is missing or older than web/src. */
export function ensureWebBuild(): void {
  const web = join(packageRoot, 'web');
  const index = join(web, 'dist', 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(newest(join(web, 'src')), statSync(join(web, 'index.html')).mtimeMs)) return;
  execFileSync(
    process.execPath,
    [join(packageRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(web, 'vite.config.ts')],
    { cwd: packageRoot, stdio: 'pipe' },
  );
}
