// The command line's conventions (src/cli/output.ts), checked on the real `tributary` command:
// exit code 2 for usage errors and 1 for failures, --json on every command with one shape (one
// object on stdout; errors as {"error": {...}}), one wording per error kind, query from an
// argument, a file, stdin or the interactive shell, --snapshot that does not swallow the SQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpHome } from '../helpers.ts';

const BIN = resolve('bin/tributary.js');

function cli(home: string, args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: home,
    env: { ...process.env, TRIBUTARY_HOME: join(home, 'state') },
    encoding: 'utf8',
    input: input ?? '',
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every command with its description and options (commands added later are checked too). */
function allCommands(home: string): { command: string; description: string; options: string[] }[] {
  const r = spawnSync(process.execPath, [BIN], { cwd: home, env: { ...process.env, TRIBUTARY_LIST_COMMANDS: '1' }, encoding: 'utf8' });
  return JSON.parse(r.stdout);
}

test('CLI conventions', async (t) => {
  const { home, cleanup } = tmpHome();
  t.after(cleanup);
  writeFileSync(join(home, 'things.ndjson'), '{"id": 1, "x": 0.333333333, "at": "2026-11-23 10:00:00"}\n{"id": 2, "x": 2.5, "at": "2026-11-24 10:00:00"}\n');
  const ing = cli(home, ['ingest', 'things.ndjson', '--table', 'raw.things', '--json']);
  assert.equal(ing.status, 0, ing.stderr);
  assert.equal(JSON.parse(ing.stdout).table, 'raw.things');

  await t.test('usage errors exit with 2, failures with 1', () => {
    for (const args of [
      ['nope'],
      ['query', '--bogus', 'SELECT 1'],
      ['ingest'],
      ['query', '--snapshot', 'raw.things', 'SELECT 1'],
      ['runs', 'list', '--limit', '0'],
      ['query', '--json', '--csv', 'SELECT 1'],
    ]) {
      const r = cli(home, args);
      assert.equal(r.status, 2, `tributary ${args.join(' ')}: ${r.stderr}`);
    }
    for (const args of [
      ['query', 'SELECT * FROM nowhere'],
      ['ingest', 'missing.csv', '--table', 'raw.x'],
      ['eda', 'missing.csv'],
      ['models', 'show', 'no-model'],
    ]) {
      const r = cli(home, args);
      assert.equal(r.status, 1, `tributary ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /m);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // no stack trace
    }
  });

  await t.test('one wording per kind of error: "no such file", "no such table"', () => {
    assert.match(cli(home, ['ingest', 'missing.csv', '--table', 'raw.x']).stderr, /error: no such file: missing\.csv/);
    assert.match(cli(home, ['eda', 'missing.csv']).stderr, /error: no such file: missing\.csv/);
    assert.match(cli(home, ['train', 'regression', '--data', 'missing.csv', '--target', 'y']).stderr, /no such file: .*missing\.csv/);
    assert.match(cli(home, ['eda', 'raw.nothing']).stderr, /error: no such table: raw\.nothing/);
    assert.match(cli(home, ['query', '--snapshot', 'raw.nothing@1', 'SELECT 1']).stderr, /error: no such table: raw\.nothing/);
  });

  await t.test('--json on every command, and errors as JSON under --json', () => {
    const commands = allCommands(home);
    assert.ok(commands.length >= 20, commands.map((c) => c.command).join(', '));
    for (const c of commands) {
      assert.ok(c.options.includes('--json'), `tributary ${c.command} has no --json`);
      assert.ok(c.description.length > 10, `tributary ${c.command} has no description`);
    }
    assert.match(cli(home, ['lake', 'compact', '--help']).stdout, /--json/);
    for (const [args, exit, code] of [
      [['query', '--json', 'SELECT * FROM nowhere'], 1, 'sql_error'],
      [['ingest', 'missing.csv', '--table', 'raw.x', '--json'], 1, 'not_found'],
      [['query', '--json', '--bogus'], 2, 'usage'],
    ] as const) {
      const r = cli(home, [...args]);
      assert.equal(r.status, exit);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 1, `one JSON object on stdout: ${r.stdout}`);
      const e = JSON.parse(lines[0]!).error;
      assert.equal(e.code, code);
      assert.equal(e.exit, exit);
      assert.ok(e.message.length > 5);
    }
  });

  await t.test('JSON shapes: one object, lists under a named key', () => {
    assert.deepEqual(Object.keys(JSON.parse(cli(home, ['lake', 'tables', '--json']).stdout)), ['tables']);
    assert.deepEqual(JSON.parse(cli(home, ['lake', 'snapshots', 'raw.things', '--json']).stdout).snapshots.map((s: { snapshot: number }) => s.snapshot), [1]);
    assert.deepEqual(JSON.parse(cli(home, ['query', '--json', 'SELECT 1 AS x UNION ALL SELECT 2 ORDER BY 1']).stdout), { rows: [{ x: 1 }, { x: 2 }] });
    const compact = JSON.parse(cli(home, ['lake', 'compact', '--json']).stdout);
    assert.ok(Array.isArray(compact.tables));
    const build = cli(home, ['build', '--only', 'curated.tracks', '--json']);
    assert.equal(build.status, 0, build.stderr);
    assert.deepEqual(Object.keys(JSON.parse(build.stdout)).sort(), ['models', 'tables']);
  });

  await t.test('query --snapshot TABLE@N "SQL" keeps the SQL; SQL from a file, stdin, and the shell', () => {
    const pinned = cli(home, ['query', '--snapshot', 'raw.things@1', 'SELECT count(*) AS n FROM raw.things', '--json']);
    assert.equal(pinned.status, 0, pinned.stderr);
    assert.deepEqual(JSON.parse(pinned.stdout), { rows: [{ n: 2 }] });
    writeFileSync(join(home, 'q.sql'), '-- two statements\nCREATE TEMP TABLE t AS SELECT 40 AS a;\nSELECT a + 2 AS answer FROM t;\n');
    assert.deepEqual(JSON.parse(cli(home, ['query', '--file', 'q.sql', '--json']).stdout), { rows: [{ answer: 42 }] });
    assert.match(cli(home, ['query', '--file', 'nope.sql']).stderr, /no such file: nope\.sql/);
    assert.match(cli(home, ['query', '--csv'], 'SELECT 7 AS seven;').stdout, /^seven\n7$/m);
    const shell = cli(home, ['query', '-i'], '.tables\nSELECT 6 *\n  7 AS answer;\n.schema raw.things\n.quit\n');
    assert.equal(shell.status, 0, shell.stderr);
    assert.match(shell.stdout, /raw\.things/);
    assert.match(shell.stdout, /answer\s*\n-+\s*\n\s*42/);
    assert.match(shell.stdout, /column\s+type/);
    assert.ok(existsSync(join(home, 'state', 'query_history')));
    assert.match(readFileSync(join(home, 'state', 'query_history'), 'utf8'), /SELECT 6 \* {3}7 AS answer;/);
  });

  await t.test('numbers rounded and right-aligned, one timestamp format', () => {
    const out = cli(home, ['query', "SELECT 1/3 AS third, 12345 AS n, TIMESTAMP '2026-11-23 10:00:00' AS at, 'x' AS s"]).stdout;
    const [head, , row] = out.split('\n');
    assert.match(row!, /0\.333333\s/);
    assert.doesNotMatch(row!, /0\.3333333/);
    assert.match(row!, /2026-11-23T10:00:00Z/);
    // right-aligned: the number ends where its header ends
    assert.equal(row!.indexOf('12345') + 5, head!.indexOf('n') + 1);
  });

  await t.test('models --help describes every subcommand', () => {
    const help = cli(home, ['models', '--help']).stdout;
    for (const sub of ['list', 'show', 'promote', 'rollback', 'export']) {
      assert.match(help, new RegExp(`^  ${sub}\\b.*\\S\\s{2,}\\S`, 'm'), `${sub} has a description:\n${help}`);
    }
  });
});
