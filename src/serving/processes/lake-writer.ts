// `tributary lake writer`: one lake writer process of the scale-out mode. Takes batches from the
// JetStream ingest stream, commits them to the lake (exactly once, see lake/bus-ingest.ts), and
// serves /healthz, /metrics and /v1/status. Run as many as the ingest rate needs, on any machine
// that mounts the lake and reaches the metadata database.
import { Counter, Gauge } from 'prom-client';
import type { Config } from '../../config/index.ts';
import { openBus } from '../../bus/index.ts';
import { openMetaStore } from '../../metadata/db.ts';
import { Lake } from '../../lake/lake.ts';
import { BusRecordSink, INGEST_STREAM, LakeWriter, ensureIngestStream } from '../../lake/bus-ingest.ts';
import { eventLakeSchemas } from '../../events/lake-schema.ts';
import { AUDIT_TABLE, auditColumns } from '../audit.ts';
import { startProcessShell } from '../../util/process-shell.ts';
import { reportStatus } from '../../bus/service-status.ts';
import { streamLakeSchemas } from '../../analytics/stream/records.ts';

export interface RunningLakeWriter {
  writer: LakeWriter;
  url: string;
  close(): Promise<void>;
}

export async function startLakeWriter(config: Config, opts: { port?: number; batch?: number; log?: (m: string) => void } = {}): Promise<RunningLakeWriter> {
  if (!config.natsUrl) throw new Error('NATS_URL is not set: lake writers take their batches from JetStream (without it, the API writes the lake itself)');
  const log = opts.log ?? (() => {});
  const bus = await openBus({ natsUrl: config.natsUrl, name: `tributary-lake-writer-${process.pid}` });
  await ensureIngestStream(bus);
  const store = await openMetaStore({ home: config.home, databaseUrl: config.databaseUrl });
  const lake = await Lake.open({
    home: config.home, store, log, sink: new BusRecordSink(bus),
    schemas: { ...eventLakeSchemas(), [AUDIT_TABLE]: auditColumns, ...streamLakeSchemas() },
  });
  const writer = new LakeWriter(bus, lake, { batch: opts.batch, log });
  await writer.start();
  const shell = await startProcessShell({
    name: 'lake-writer', port: opts.port ?? 0,
    health: () => null,
    status: () => ({ stream: INGEST_STREAM, ...writer.stats }),
  });
  const s = writer.stats;
  new Counter({
    name: 'tributary_lake_writer_records_total',
    help: 'records committed to the lake',
    registers: [shell.registry],
    collect() { this.reset(); this.inc(s.records); },
  });
  new Counter({
    name: 'tributary_lake_writer_messages_total',
    help: 'ingest stream messages committed',
    registers: [shell.registry],
    collect() { this.reset(); this.inc(s.messages); },
  });
  new Counter({
    name: 'tributary_lake_writer_duplicates_total',
    help: 'redelivered messages found already committed',
    registers: [shell.registry],
    collect() { this.reset(); this.inc(s.duplicates); },
  });
  new Gauge({
    name: 'tributary_lake_writer_failures',
    help: 'batches that could not be committed (redelivered)',
    registers: [shell.registry],
    collect() { this.set(s.failures); },
  });
  const reporting = reportStatus(bus, () => ({
    service: 'lake-writer',
    pid: process.pid,
    url: shell.url,
    records: s.records,
    errors: s.failures,
    messages: s.messages,
    duplicates: s.duplicates,
  }));
  log(`lake writer: taking batches from ${INGEST_STREAM}; status at ${shell.url}/v1/status`);
  return {
    writer, url: shell.url,
    async close() {
      reporting.stop();
      await writer.stop();
      await shell.close();
      await lake.close();
      await bus.close();
      await store.close();
    },
  };
}
