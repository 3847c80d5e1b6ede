// Promotion notices: whoever moves a model's alias (the API, the CLI, the stream trainer) says so
// on the bus, and every API replica sharing the registry reloads that model at once instead of
// at its next poll. A lost notice costs only that: replicas still poll the registry (1 s).
import { decodeJson, encodeJson, type Bus, type Subscription } from './types.ts';

export const PROMOTIONS_SUBJECT = 'tributary.registry.promotions';

export interface PromotionNotice {
  name: string;
  alias: string;
  version: number;
}

export function announcePromotion(bus: Bus, notice: PromotionNotice): Promise<void> {
  return bus.notify(PROMOTIONS_SUBJECT, encodeJson(notice));
}

export function onPromotion(bus: Bus, fn: (notice: PromotionNotice) => void): Subscription {
  return bus.onNotice(PROMOTIONS_SUBJECT, (data) => {
    let n: PromotionNotice;
    try { n = decodeJson<PromotionNotice>(data); } catch { return; }
    if (typeof n?.name === 'string') fn(n);
  });
}
