// The records of the streaming use case and where they are kept. One zod schema per record
// (it validates what crosses the bus and types the code); the lake column types derive from it.
//  raw.person                      the generator's person records (the event table)
//  curated.person_normalized       the normalizer's output: z-scores with the running statistics
//  inference.stream_predictions    the consumer's questions, the trainer's answers and latency
import { z } from 'zod';
import { columnTypesOf } from '../../events/lake-schema.ts';

export const NORMALIZED_TABLE = 'curated.person_normalized';
export const PREDICTIONS_TABLE = 'inference.stream_predictions';

/** The numeric features the normalizer scales, in order. */
export const SCALED = ['age', 'income'] as const;

export const NormalizedPerson = z.object({
  event_id: z.string(),
  ts: z.string().describe('date-time of the raw record'),
  person_id: z.string(),
  age: z.number(),
  income: z.number(),
  age_z: z.number(),
  income_z: z.number(),
  /** records seen by the normalizer when this one was scaled (its running count) */
  n: z.number().int(),
});
export type NormalizedPerson = z.infer<typeof NormalizedPerson>;

export const PredictionRecord = z.object({
  request_id: z.string(),
  ts: z.string().describe('date-time the question was asked'),
  age: z.number(),
  predicted_income: z.number().nullable(),
  model_version: z.number().int().nullable(),
  latency_ms: z.number(),
  /** 'ok', or the error */
  status: z.string(),
  via: z.enum(['bus', 'http']),
});
export type PredictionRecord = z.infer<typeof PredictionRecord>;

export const PredictRequest = z.object({ rows: z.array(z.object({ age: z.number().finite() })).min(1).max(10_000) });
export const PredictResponse = z.object({ predictions: z.array(z.number()), version: z.number().int() });

export function streamLakeSchemas(): Record<string, Record<string, string>> {
  return {
    [NORMALIZED_TABLE]: columnTypesOf(NormalizedPerson),
    // a nullable number reads as a union in the JSON schema: typed here
    [PREDICTIONS_TABLE]: { ...columnTypesOf(PredictionRecord), predicted_income: 'DOUBLE' },
  };
}
