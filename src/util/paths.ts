import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), wherever the code runs from. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
})();

/** ../shared beside the checkout (real data sets and anchors); absent on a user's clone. */
export const sharedDir: string = resolve(packageRoot, '..', 'shared');

export function sharedPath(...parts: string[]): string | undefined {
  const p = join(sharedDir, ...parts);
  return existsSync(p) ? p : undefined;
}
