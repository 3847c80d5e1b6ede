// Recommenders by name, for the CLI, evaluation and loading saved models.
import { InvalidInputError, InvalidParameterError } from '../core/errors.ts';
import { ImplicitAls } from './als.ts';
import { Ease } from './ease.ts';
import { ItemKnn } from './item-knn.ts';
import { Popularity } from './popularity.ts';
import type { Recommender, SerializedRecommender } from './recommender.ts';

export const RECOMMENDER_KINDS = ['als', 'ease', 'item-knn', 'popularity'] as const;
export type RecommenderKind = (typeof RECOMMENDER_KINDS)[number];

export function createRecommender(kind: string, params: Record<string, unknown> = {}): Recommender<any> {
  switch (kind) {
    case 'als': return new ImplicitAls(params);
    case 'ease': return new Ease(params);
    case 'item-knn': return new ItemKnn(params);
    case 'popularity': return new Popularity(params as Record<string, never>);
    default: throw new InvalidParameterError(`unknown recommender "${kind}" (known: ${RECOMMENDER_KINDS.join(', ')})`);
  }
}

export function recommenderFromJSON(json: SerializedRecommender<any>): Recommender<any> {
  switch (json?.kind) {
    case 'als': return ImplicitAls.fromJSON(json);
    case 'ease': return Ease.fromJSON(json);
    case 'item-knn': return ItemKnn.fromJSON(json);
    case 'popularity': return Popularity.fromJSON(json);
    default: throw new InvalidInputError(`unknown recommender kind ${JSON.stringify(json?.kind)} in serialised model`);
  }
}
