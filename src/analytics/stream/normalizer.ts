// The normalizer's step: streaming standard scaling of the people records. The running mean and
// variance are a StandardScaler's partialFit (Welford's update, merged per batch by Chan's
// formula: numerically stable, and equal to one pass over every record seen). Its state (the
// scaler and the last stream sequence folded in) is saved after each batch and before the batch
// is acknowledged, so a restart continues from it and a redelivered record is not counted twice.
import { StandardScaler } from '../../ml/preprocessing/index.ts';
import type { PersonEvent } from '../../events/schemas.ts';
import type { NormalizedPerson } from './records.ts';

export interface NormalizerState {
  scaler: ReturnType<StandardScaler['toJSON']> | null;
  /** the last stream sequence folded into the statistics */
  lastSeq: number;
}

export class StreamNormalizer {
  private scaler = new StandardScaler();
  private fitted = false;
  lastSeq = 0;

  static restore(state: NormalizerState | undefined): StreamNormalizer {
    const n = new StreamNormalizer();
    if (state?.scaler) { n.scaler = StandardScaler.fromJSON(state.scaler as unknown as Parameters<typeof StandardScaler.fromJSON>[0]); n.fitted = true; }
    n.lastSeq = state?.lastSeq ?? 0;
    return n;
  }

  /** Records seen so far. */
  get count(): number { return this.fitted ? this.scaler.nSamplesSeen : 0; }
  /** Running means of age and income. */
  get mean(): Float64Array { return this.fitted ? this.scaler.mean : new Float64Array(2); }
  /** Running population variances of age and income. */
  get variance(): Float64Array { return this.fitted ? this.scaler.variance : new Float64Array(2); }

  /**
   * Folds records (in stream order, with their sequence numbers) into the statistics and scales
   * each with the statistics as they stand after its batch. Records at or below lastSeq were
   * folded in before a restart: skipped.
   */
  normalize(batch: { seq: number; person: PersonEvent }[]): NormalizedPerson[] {
    const fresh = batch.filter((b) => b.seq > this.lastSeq);
    if (fresh.length === 0) return [];
    const data = new Float64Array(fresh.length * 2);
    fresh.forEach((b, i) => { data[2 * i] = b.person.age; data[2 * i + 1] = b.person.income; });
    const X = { rows: fresh.length, cols: 2, data };
    this.scaler.partialFit(X);
    this.fitted = true;
    this.lastSeq = Math.max(this.lastSeq, ...fresh.map((b) => b.seq));
    const Z = this.scaler.transform(X);
    const n = this.scaler.nSamplesSeen;
    return fresh.map((b, i) => ({
      event_id: b.person.event_id, ts: b.person.ts, person_id: b.person.person_id,
      age: b.person.age, income: b.person.income, age_z: Z.data[2 * i]!, income_z: Z.data[2 * i + 1]!, n,
    }));
  }

  state(): NormalizerState {
    return { scaler: this.fitted ? this.scaler.toJSON() : null, lastSeq: this.lastSeq };
  }
}
