// A line per stage with its duration, and the table of all stages at the end.
export interface StageTiming {
  stage: string;
  seconds: number;
  detail: string;
}

export class Stages {
  readonly timings: StageTiming[] = [];
  constructor(private readonly out: (line: string) => void = (l) => process.stderr.write(l + '\n')) {}

  async run<T>(stage: string, fn: () => Promise<T> | T, detail?: (v: T) => string): Promise<T> {
    const t = performance.now();
    this.out(`▶ ${stage}…`);
    const v = await fn();
    const seconds = (performance.now() - t) / 1000;
    const d = detail ? detail(v) : '';
    this.timings.push({ stage, seconds, detail: d });
    this.out(`✔ ${stage} (${seconds.toFixed(2)} s)${d ? ' ' + d : ''}`);
    return v;
  }

  total(): number {
    return this.timings.reduce((a, s) => a + s.seconds, 0);
  }
}
