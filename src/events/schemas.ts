// One source of truth for every event type: these zod schemas validate the collector's input,
// type the code, and generate the OpenAPI document. Wire format: flat JSON objects.
import { z } from 'zod';

const id = z.string().min(1).max(128);
/** ISO-8601 timestamp with a time zone (Z or an offset) */
const ts = z.iso.datetime({ offset: true });

const base = {
  event_id: id.describe('unique id of the event; curated tables deduplicate on it'),
  ts: ts.describe('when it happened, ISO-8601 with a time zone'),
};

export const PlayEvent = z.strictObject({
  ...base,
  type: z.literal('play'),
  user_id: id,
  track_id: id,
  ms_played: z.number().int().min(0).max(86_400_000),
  duration_ms: z.number().int().positive().max(86_400_000).optional().describe('track duration'),
  context: z.string().max(64).optional().describe('where the play came from: search, playlist, recommendation...'),
});

export const SkipEvent = z.strictObject({
  ...base,
  type: z.literal('skip'),
  user_id: id,
  track_id: id,
  position_ms: z.number().int().min(0).max(86_400_000),
  duration_ms: z.number().int().positive().max(86_400_000).optional(),
});

export const LikeEvent = z.strictObject({
  ...base,
  type: z.literal('like'),
  user_id: id,
  track_id: id,
  playlist_id: id.optional(),
});

export const SearchEvent = z.strictObject({
  ...base,
  type: z.literal('search'),
  user_id: id,
  query: z.string().min(1).max(512),
});

export const RecommendationShownEvent = z.strictObject({
  ...base,
  type: z.literal('recommendation_shown'),
  user_id: id,
  track_ids: z.array(id).min(1).max(500),
  model_version: z.string().min(1).max(128),
  experiment_id: id.optional().describe('the A/B experiment the user was in when shown'),
  arm: z.enum(['a', 'b']).optional().describe("the experiment's arm that served the playlist"),
});

/** One line of an invoice, the columns of the UCI Online Retail file. */
export const OrderLineEvent = z.strictObject({
  ...base,
  type: z.literal('order_line'),
  invoice_no: z.string().min(1).max(32),
  stock_code: z.string().min(1).max(32),
  description: z.string().max(512).nullable().optional(),
  quantity: z.number().int(),
  unit_price: z.number().finite(),
  customer_id: z.string().max(32).nullable().optional(),
  country: z.string().max(64).nullable().optional(),
  category: z.string().max(64).nullable().optional(),
});

/** A person record of the streaming use case (generator → normalizer → trainer). */
export const PersonEvent = z.strictObject({
  ...base,
  type: z.literal('person'),
  person_id: id,
  name: z.string().min(1).max(256),
  age: z.number().int().min(0).max(130),
  city: z.string().min(1).max(128),
  country: z.string().min(1).max(64).optional(),
  income: z.number().finite().min(0),
  job: z.string().max(128).optional(),
});

export const eventSchemas = {
  play: PlayEvent,
  skip: SkipEvent,
  like: LikeEvent,
  search: SearchEvent,
  recommendation_shown: RecommendationShownEvent,
  order_line: OrderLineEvent,
  person: PersonEvent,
} as const;

export type EventType = keyof typeof eventSchemas;
export const eventTypes = Object.keys(eventSchemas) as EventType[];
export const AnyEvent = z.discriminatedUnion('type', [
  PlayEvent, SkipEvent, LikeEvent, SearchEvent, RecommendationShownEvent, OrderLineEvent, PersonEvent,
]);
export type AnyEvent = z.infer<typeof AnyEvent>;
export type PlayEvent = z.infer<typeof PlayEvent>;
export type SkipEvent = z.infer<typeof SkipEvent>;
export type LikeEvent = z.infer<typeof LikeEvent>;
export type SearchEvent = z.infer<typeof SearchEvent>;
export type RecommendationShownEvent = z.infer<typeof RecommendationShownEvent>;
export type OrderLineEvent = z.infer<typeof OrderLineEvent>;
export type PersonEvent = z.infer<typeof PersonEvent>;
