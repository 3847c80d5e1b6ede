#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx (no build step to forget).
// Worker threads get the same loader through src/util/workers.ts.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
