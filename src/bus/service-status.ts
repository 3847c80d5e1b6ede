// Background services (the streaming services, lake writers) say how they are doing on the bus
// every few seconds; the API gathers the latest word of each (GET /v1/streaming/services), so
// the dashboard needs no list of where the services run.
import { decodeJson, encodeJson, type Bus, type Subscription } from './types.ts';

export const STATUS_SUBJECT = 'tributary.services.status';

export interface ServiceStatus {
  service: string;
  pid: number;
  /** where its /healthz, /metrics and /v1/status answer */
  url: string;
  [figure: string]: unknown;
}

/** Announces status() every intervalMs until stopped. */
export function reportStatus(bus: Bus, status: () => ServiceStatus, intervalMs = 2000): { stop(): void } {
  const send = () => { void bus.notify(STATUS_SUBJECT, encodeJson({ ...status(), at: new Date().toISOString() })).catch(() => {}); };
  send();
  const t = setInterval(send, intervalMs);
  t.unref();
  return { stop: () => clearInterval(t) };
}

/** The latest status of every service heard from in the last maxAgeMs. */
export class ServiceBoard {
  private readonly latest = new Map<string, ServiceStatus & { at: string }>();
  private readonly sub: Subscription;

  constructor(bus: Bus, private readonly maxAgeMs = 15_000) {
    this.sub = bus.onNotice(STATUS_SUBJECT, (data) => {
      try {
        const s = decodeJson<ServiceStatus & { at: string }>(data);
        if (typeof s.service === 'string' && typeof s.pid === 'number') this.latest.set(`${s.service}@${s.pid}@${s.url}`, s);
      } catch { /* not a status */ }
    });
  }

  services(): (ServiceStatus & { at: string })[] {
    const now = Date.now();
    for (const [k, s] of this.latest) if (now - Date.parse(s.at) > this.maxAgeMs) this.latest.delete(k);
    return [...this.latest.values()].sort((a, b) => a.service.localeCompare(b.service) || a.pid - b.pid);
  }

  stop(): Promise<void> { return this.sub.stop(); }
}
