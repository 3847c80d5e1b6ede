// `tributary demo --stream`: the streaming use case live. With NATS_URL each service is its own
// process (plus a lake writer), talking through JetStream; without it the four run in this
// process on the in-process bus. Every few seconds a table of the services' live figures (from
// their /v1/status, the same numbers /metrics gives Prometheus); at the end, what reached the lake.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../config/index.ts';
import { runPipeline } from '../pipeline/runner.ts';
import { runStreamInProcess } from '../pipeline/stream/run.ts';
import { openWorkspace } from '../warehouse/workspace.ts';
import { NORMALIZED_TABLE, PREDICTIONS_TABLE } from '../analytics/stream/records.ts';

export interface StreamDemoOptions {
  config: Config;
  seconds: number;
  generatorRate: number;
  consumerRate: number;
  /** the `tributary` entry point, to start services as processes */
  bin: string;
  print: (line: string) => void;
}

interface Ctx {
  services: { name: string; url: string }[];
  stop: () => Promise<void>;
  lake: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spawnService(bin: string, args: string[], config: Config): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, ...args, '--port', '0'], {
      env: { ...process.env, TRIBUTARY_HOME: config.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stdout = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      stdout += d;
      // the ready line on stdout ("... running; ... at URL"); logs go to stderr
      const m = /running;.* at (http:\/\/\S+)/.exec(stdout);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.stderr!.on('data', (d: Buffer) => { out += d; });
    proc.once('exit', (code) => reject(new Error(`tributary ${args.join(' ')} exited (${code}): ${out.trim().split('\n').slice(-3).join(' | ')}`)));
  });
}

function row(name: string, s: Record<string, any>): string {
  const lat = s.latency_ms ?? {};
  const lastFit = s.last_fit ? ` last fit RMSE ${s.last_fit.rmse}${s.last_fit.promoted ? ' (promoted)' : ' (kept champion)'}` : '';
  const detail = name === 'normalizer' ? `n=${s.count} mean age ${(s.mean?.[0] ?? 0).toFixed(1)} income ${Math.round(s.mean?.[1] ?? 0)}`
    : name === 'trainer' ? `model v${s.version ?? '-'} window ${s.window_rows}${lastFit}`
    : name === 'consumer' ? `via ${s.via}`
    : name === 'generator' ? `target ${s.rate_target}/s` : `${s.records ?? 0} records`;
  return `  ${name.padEnd(11)} ${String(s.records ?? 0).padStart(8)} ${String(s.rate_per_s ?? 0).padStart(8)}/s ${String(s.errors ?? 0).padStart(
    6,
  )} err  p50 ${String(lat.p50 ??
    '-').padStart(7)} ms  p99 ${String(lat.p99 ?? '-').padStart(7)} ms  ${detail}`;
}

export async function runStreamDemo(opts: StreamDemoOptions): Promise<Ctx> {
  const ctx: Ctx = { services: [], stop: async () => {}, lake: {} };
  const { config } = opts;
  await runPipeline<Ctx>('stream', [
    {
      name: 'start services',
      async run(c) {
        if (config.natsUrl) {
          const procs: ChildProcess[] = [];
          c.stop = async () => {
            for (const p of procs) p.kill('SIGTERM');
            await Promise.all(procs.map((p) => (p.exitCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
          };
          // downstream first: nothing waits for a consumer that does not exist yet
          for (const name of ['lake writer', 'trainer', 'normalizer', 'consumer', 'generator']) {
            const args = name === 'lake writer'
              ? ['lake', 'writer']
              : [
                'stream',
                name,
                ...(name === 'generator' ? ['--rate', String(opts.generatorRate)] : name === 'consumer' ? ['--rate', String(opts.consumerRate)] : []),
              ];
            const s = await spawnService(opts.bin, args, config);
            procs.push(s.proc);
            c.services.push({ name, url: s.url });
          }
          return { note: `${procs.length} processes on JetStream at ${config.natsUrl}` };
        }
        const run = await runStreamInProcess(config, { generatorRate: opts.generatorRate, consumerRate: opts.consumerRate, log: () => {} });
        c.services = run.services.map((s) => ({ name: s.service.name, url: s.url }));
        c.stop = run.close;
        return { note: 'four services in this process on the in-process bus (set NATS_URL for one process each)' };
      },
    },
    {
      name: 'live metrics',
      async run(c) {
        opts.print(`\nservices (status JSON at /v1/status, Prometheus at /metrics):`);
        for (const s of c.services) opts.print(`  ${s.name.padEnd(11)} ${s.url}`);
        const until = Date.now() + opts.seconds * 1000;
        let tick = 0;
        while (Date.now() < until) {
          await sleep(Math.min(5000, until - Date.now()));
          tick++;
          opts.print(`\n[${Math.round((opts.seconds * 1000 - (until - Date.now())) / 1000)} s]  service      records     rate  errors   latency`);
          for (const s of c.services) {
            try {
              opts.print(row(s.name, await (await fetch(`${s.url}/v1/status`)).json() as Record<string, unknown>));
            } catch (e) { opts.print(`  ${s.name.padEnd(11)} unreachable: ${(e as Error).message}`); }
          }
        }
        return { note: `${tick} reports` };
      },
    },
    { name: 'stop services', async run(c) { await c.stop(); } },
    {
      name: 'lake',
      async run(c) {
        if (config.natsUrl) await sleep(2000); // the lake writer's last batch
        const ws = await openWorkspace({ config, log: () => {} });
        try {
          for (const t of ['raw.person', NORMALIZED_TABLE, PREDICTIONS_TABLE]) {
            c.lake[t] = (await ws.lake.catalog.tables()).find((x) => x.table === t)?.rows ?? 0;
          }
        } finally { await ws.close(); }
        return { rows: Object.values(c.lake).reduce((a, b) => a + b, 0), note: Object.entries(c.lake).map(([t, n]) => `${t} ${n}`).join(', ') };
      },
    },
  ], ctx, { log: opts.print });
  return ctx;
}
