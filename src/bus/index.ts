// The bus for this process: JetStream when NATS_URL is set, in-process otherwise.
import { JetStreamBus } from './jetstream.ts';
import { MemoryBus } from './memory.ts';
import type { Bus } from './types.ts';

export * from './types.ts';
export { JetStreamBus } from './jetstream.ts';
export { MemoryBus } from './memory.ts';

export async function openBus(opts: { natsUrl?: string; name?: string }): Promise<Bus> {
  return opts.natsUrl ? JetStreamBus.connect({ url: opts.natsUrl, name: opts.name }) : new MemoryBus();
}
