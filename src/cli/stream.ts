// `tributary stream generator|normalizer|trainer|consumer`: one service of the streaming use case
// as its own process (needs NATS_URL). Configured by flags or the use case's environment
// variables (GENERATOR_RATE, CONSUMER_RATE, TRAINER_WINDOW, TRAINER_EVERY, TRAINER_INTERVAL_S,
// TRAINER_URL, STREAM_NAMESPACE); flags win.
import type { Command } from 'commander';
import { loadConfig } from '../config/index.ts';
import { STREAM_SERVICES, type StreamServiceName } from '../pipeline/stream/services.ts';
import { runStreamService, streamOptionsFromEnv } from '../pipeline/stream/run.ts';
import { fail } from './output.ts';

export function register(program: Command): void {
  program.command('stream').argument('<service>', STREAM_SERVICES.join('|'))
    .description('run one service of the streaming use case (generator, normalizer, trainer, consumer) as its own process on NATS JetStream')
    .option('-p, --port <n>', 'port of /healthz, /metrics, /v1/status (and the trainer\'s POST /v1/predict); 0 picks a free one', '0')
    .option('--rate <n>', 'generator: records per second (GENERATOR_RATE, default 200); consumer: questions per second (CONSUMER_RATE, default 20)')
    .option('--window <n>', 'trainer: records in the sliding window (TRAINER_WINDOW, default 2000)')
    .option('--every <n>', 'trainer: refit after this many new records (TRAINER_EVERY, default 500)')
    .option('--interval <s>', 'trainer: or after this many seconds (TRAINER_INTERVAL_S, default 10)')
    .option('--trainer-url <url>', 'consumer: ask the trainer over HTTP instead of the bus (TRAINER_URL)')
    .option('--ns <prefix>', 'subject prefix, to run several pipelines on one NATS (STREAM_NAMESPACE, default tributary)')
    .action(async (name: string, o: { port: string; rate?: string; window?: string; every?: string; interval?: string; trainerUrl?: string; ns?: string }) => {
      if (!(STREAM_SERVICES as readonly string[]).includes(name)) fail(`<service> must be one of ${STREAM_SERVICES.join(', ')}, got "${name}"`);
      const opts = streamOptionsFromEnv();
      const n = (flag: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        const x = Number(v);
        if (!(x > 0)) fail(`--${flag}: expected a positive number, got "${v}"`);
        return x;
      };
      const rate = n('rate', o.rate);
      const s = await runStreamService(name as StreamServiceName, loadConfig(), {
        ...opts, port: Number(o.port), ns: o.ns ?? opts.ns, trainerUrl: o.trainerUrl ?? opts.trainerUrl,
        generatorRate: name === 'generator' ? rate ?? opts.generatorRate : opts.generatorRate,
        consumerRate: name === 'consumer' ? rate ?? opts.consumerRate : opts.consumerRate,
        window: n('window', o.window) ?? opts.window, every: n('every', o.every) ?? opts.every, intervalS: n('interval', o.interval) ?? opts.intervalS,
        log: (m) => console.error(m),
      });
      console.log(`stream ${name} ${process.pid} running; health, metrics and status at ${s.url}`);
      const stop = async () => { await s.close(); process.exit(0); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
