#!/usr/bin/env node
// The CLI runs the TypeScript sources: from a bundle of them that is rebuilt whenever they change
// (bin/cli-bundle.js: start-up in a fraction of the time), or through tsx when it cannot be built.
// Worker threads find their entry the same way (src/util/workers.ts).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliBundle } from './cli-bundle.js';

const bundle = await cliBundle();
if (bundle) {
  process.env.TRIBUTARY_CLI_BUNDLE = bundle;
  await import(pathToFileURL(join(bundle, 'cli', 'main.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
