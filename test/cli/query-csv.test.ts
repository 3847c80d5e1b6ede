// Issue 13: `tributary query --csv` prints timestamps as ISO-8601 values, not as JSON strings
// wrapped in doubled quotes; text with commas or quotes is quoted as CSV says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpHome } from '../helpers.ts';

const bin = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));

test('query --csv: timestamps plain, CSV quoting only where needed', () => {
  const { home, cleanup } = tmpHome();
  try {
    const out = execFileSync(
      process.execPath,
      [bin, 'query', '--csv', `SELECT TIMESTAMPTZ '2026-11-23 10:00:00+00' AS ts, 'a,"b"' AS s, [1, 2] AS l, 7 AS n`],
      { env: { ...process.env, TRIBUTARY_HOME: home }, encoding: 'utf8' },
    );
    assert.deepEqual(out.trim().split('\n'), ['ts,s,l,n', '2026-11-23T10:00:00.000Z,"a,""b""","[1,2]",7']);
  } finally { cleanup(); }
});
