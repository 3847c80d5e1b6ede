// Running wrk and a server under test as child processes, and reading wrk's report.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50ms: number;
  p99ms: number;
}

function toMs(v: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(v);
  if (!m) return NaN;
  const x = Number(m[1]);
  return m[2] === 'us' ? x / 1000 : m[2] === 's' ? x * 1000 : x;
}

export interface WrkOptions { threads: number; connections: number; seconds: number; script: string; env?: NodeJS.ProcessEnv }

const wrkArgs = (url: string, o: WrkOptions) => [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '-s', o.script, url];

export function runWrk(url: string, opts: WrkOptions): WrkResult {
  const r = spawnSync('wrk', wrkArgs(url, opts), { encoding: 'utf8', env: { ...process.env, ...opts.env } });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr || r.error}`);
  return parseWrk(r.stdout);
}

/** runWrk without blocking this process: for a server running in it. */
export function runWrkAsync(url: string, opts: WrkOptions): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('wrk', wrkArgs(url, opts), { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d; });
    p.stderr.on('data', (d: Buffer) => { err += d; });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve(parseWrk(out)) : reject(new Error(`wrk failed (${code}): ${err}`))));
  });
}

function parseWrk(out: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requestsPerSec: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: errs ? errs.slice(1).reduce((a, x) => a + Number(x), 0) : 0,
    p50ms: toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99ms: toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
  };
}

/** Starts a server process and resolves once `ready` matches its output (stdout or stderr). */
export function startProcess(
  cmd: string, args: string[], ready: RegExp, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ proc: ChildProcess; match: RegExpExecArray; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve({ proc, match: m, stop: async () => { proc.kill('SIGTERM'); await exited; } });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`${cmd} exited (${code}) before it was ready:\n${out}`)));
  });
}

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}
