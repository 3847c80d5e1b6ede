// Starts a real three-node NATS JetStream cluster (Debian's nats-server) on free loopback ports,
// for the tests and benchmarks of the scale-out paths; one node can be SIGKILLed and restarted.
// As a script (.ci/run): `node --import tsx test/nats-cluster.ts start DIR` starts one in the
// background and prints its URL; `... stop DIR` stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';

export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find(existsSync);

/**
 * `count` distinct free loopback ports. Every probe socket stays open until all are chosen: a
 * port released after its probe may be handed out again by the next one (a node's cluster port
 * once equalled another node's client port, and that node died with "address already in use").
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export interface NatsCluster {
  /** client URLs of every node, comma separated (what NATS_URL takes) */
  url: string;
  urls: string[];
  dir: string;
  kill(node: number, signal?: NodeJS.Signals): void;
  restart(node: number): Promise<void>;
  stop(): Promise<void>;
}

interface Node { name: string; port: number; clusterPort: number; conf: string; proc?: ChildProcess }

export async function startNatsCluster(opts: { nodes?: number; dir?: string; detached?: boolean } = {}): Promise<NatsCluster> {
  if (!NATS_SERVER) throw new Error('nats-server is not installed (apt-get install nats-server)');
  const n = opts.nodes ?? 3;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'trib-nats-'));
  mkdirSync(dir, { recursive: true });
  const nodes: Node[] = [];
  const ports = await freePorts(2 * n);
  for (let i = 0; i < n; i++) nodes.push({ name: `n${i + 1}`, port: ports[2 * i]!, clusterPort: ports[2 * i + 1]!, conf: join(dir, `n${i + 1}.conf`) });
  const routes = nodes.map((x) => `nats://127.0.0.1:${x.clusterPort}`).join(', ');
  for (const x of nodes) {
    writeFileSync(x.conf, [
      `server_name: ${x.name}`,
      `listen: 127.0.0.1:${x.port}`,
      `jetstream { store_dir: "${join(dir, x.name)}" }`,
      n > 1 ? `cluster { name: tributary-test, listen: 127.0.0.1:${x.clusterPort}, routes: [${routes}] }` : '',
    ].join('\n') + '\n');
  }
  const launch = (x: Node) => {
    const log = openSync(join(dir, `${x.name}.log`), 'a');
    x.proc = spawn(NATS_SERVER!, ['-c', x.conf], { stdio: ['ignore', log, log], detached: opts.detached });
    if (opts.detached) { x.proc.unref(); writeFileSync(join(dir, `${x.name}.pid`), String(x.proc.pid)); }
  };
  nodes.forEach(launch);
  const urls = nodes.map((x) => `nats://127.0.0.1:${x.port}`);
  await waitForJetStream(urls.join(','));
  return {
    url: urls.join(','), urls, dir,
    kill(i, signal = 'SIGKILL') { nodes[i]!.proc?.kill(signal); },
    async restart(i) { launch(nodes[i]!); await waitForJetStream(urls[i]!); },
    async stop() {
      await Promise.all(nodes.map((x) => new Promise<void>((resolve) => {
        const p = x.proc;
        if (!p || p.exitCode !== null || p.signalCode !== null) return resolve();
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
        setTimeout(() => p.kill('SIGKILL'), 3000).unref();
      })));
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the cluster has elected a JetStream meta leader (an account info answers). */
export async function waitForJetStream(url: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const nc = await connect({ servers: url.split(','), timeout: 1000 });
      try {
        const jsm = await nc.jetstreamManager({ timeout: 1000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`NATS JetStream at ${url} not ready after ${timeoutMs} ms: ${(last as Error)?.message}`);
}

/**
 * The NATS the tests use: TEST_NATS_URL (.ci/run's cluster), else a cluster of their own when
 * nats-server is installed; undefined (the caller skips, saying why) otherwise.
 */
export async function testNats(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (process.env.TEST_NATS_URL) return { url: process.env.TEST_NATS_URL, stop: async () => {} };
  if (!NATS_SERVER) return undefined;
  return startNatsCluster();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cmd, dir] = process.argv.slice(2);
  if (!dir || (cmd !== 'start' && cmd !== 'stop')) { console.error('usage: nats-cluster.ts start|stop DIR'); process.exit(2); }
  if (cmd === 'start') {
    const c = await startNatsCluster({ dir, detached: true });
    writeFileSync(join(dir, 'url'), c.url);
    console.log(c.url);
    process.exit(0);
  } else {
    for (const f of ['n1', 'n2', 'n3']) {
      const p = join(dir, `${f}.pid`);
      if (existsSync(p)) { try { process.kill(Number(readFileSync(p, 'utf8')), 'SIGTERM'); } catch { /* gone */ } }
    }
  }
}
