// Events accepted and rejected by the collector (POST /v1/events), and their rate per second
// over the last minute: what the dashboard's Pipelines page shows live. One per server; it
// outlives the rebuilds of the app (it lives on the AppContext).
export interface RatePoint {
  /** epoch ms at the end of the second */
  t: number;
  accepted: number;
  rejected: number;
}

export class CollectorRate {
  accepted = 0;
  rejected = 0;
  private readonly seconds: RatePoint[] = [];

  record(accepted: number, rejected: number, now = Date.now()): void {
    this.accepted += accepted;
    this.rejected += rejected;
    const t = Math.ceil(now / 1000) * 1000;
    const last = this.seconds[this.seconds.length - 1];
    if (last && last.t === t) { last.accepted += accepted; last.rejected += rejected; }
    else this.seconds.push({ t, accepted, rejected });
    while (this.seconds.length && this.seconds[0]!.t <= t - 60_000) this.seconds.shift();
  }

  /** Per-second counts of the last `n` whole seconds before `now`, oldest first (0 when idle). */
  recent(n = 60, now = Date.now()): RatePoint[] {
    const end = Math.floor(now / 1000) * 1000;
    const by = new Map(this.seconds.map((s) => [s.t, s]));
    const out: RatePoint[] = [];
    for (let t = end - (n - 1) * 1000; t <= end; t += 1000) out.push({ t, accepted: by.get(t)?.accepted ?? 0, rejected: by.get(t)?.rejected ?? 0 });
    return out;
  }
}
