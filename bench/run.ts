// `npm run bench -- NAME [args]` runs bench/NAME.bench.ts; without NAME it lists them.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, '')).sort();
const name = process.argv[2];
if (!name || !names.includes(name)) {
  console.log(`usage: npm run bench -- NAME\navailable: ${names.join(', ')}`);
  process.exit(name ? 1 : 0);
}
process.argv.splice(2, 1);
await import(pathToFileURL(join(here, `${name}.bench.ts`)).href);
