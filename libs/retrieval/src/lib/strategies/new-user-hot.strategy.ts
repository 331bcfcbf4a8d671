import { topFromRanked } from '../memory/livestream-index';
import { type RetrievedDoc } from '../retrieval-request';
import {
  commonLambdaParameters,
  f32,
  liveAndNotExcluded,
  type StrategyDefinition,
} from './retrieval-strategy';

type NewUserHotParams = { minMomentum: number; minSellerScore: number };

/**
 * For users without history: streams at a wave with an auction or giveaway running now, from sellers whose
 * quality score passes the gate (a seller without a score does not). Score: hotness.
 */
export const newUserHotStrategy: StrategyDefinition<NewUserHotParams> = {
  name: 'new-user-hot',
  description: 'Streams at a wave with a running auction or giveaway, from good sellers, by hotness',
  params: {
    minMomentum: { default: 1, min: 0, description: 'A wave: momentum at least this' },
    minSellerScore: { default: 0.5, min: 0, max: 1, description: 'Seller quality gate' },
  },
  memory(index, { request, params, excluded }) {
    const minMomentum = f32(params.minMomentum);
    const minSellerScore = f32(params.minSellerScore);
    const hottestWithOffer = {
      docs: index.liveWithOfferByHotness(),
      bound: (doc: RetrievedDoc) => f32(doc.hotness),
    };
    return topFromRanked([hottestWithOffer], request.limit, excluded, (doc) => {
      if (f32(doc.momentum) < minMomentum) return null;
      if (doc.seller.score === null || f32(doc.seller.score) < minSellerScore) return null;
      return hasRunningAuctionOrGiveaway(doc, request.now) ? f32(doc.hotness) : null;
    });
  },
  elasticsearch: (retrieval) => {
    const now = retrieval.request.now;
    return {
      query: {
        function_score: {
          query: liveAndNotExcluded(retrieval, [
            { range: { momentum: { gte: retrieval.params.minMomentum } } },
            { range: { 'seller.score': { gte: retrieval.params.minSellerScore } } },
            {
              bool: {
                should: [
                  { range: { 'auction.endsAt': { gt: now, format: 'epoch_millis' } } },
                  { range: { 'giveaway.endsAt': { gt: now, format: 'epoch_millis' } } },
                ],
                minimum_should_match: 1,
              },
            },
          ]),
          functions: [{ field_value_factor: { field: 'hotness', missing: 0 } }],
          boost_mode: 'replace',
        },
      },
    };
  },
  queryLambda: {
    lambda: 'new_user_hot',
    parameters: (retrieval) => [
      { name: 'min_momentum', type: 'float', value: String(retrieval.params.minMomentum) },
      { name: 'min_seller_score', type: 'float', value: String(retrieval.params.minSellerScore) },
      { name: 'now', type: 'string', value: new Date(retrieval.request.now).toISOString() },
      ...commonLambdaParameters(retrieval),
    ],
  },
};

function hasRunningAuctionOrGiveaway(doc: RetrievedDoc, now: number): boolean {
  return (
    (doc.auction !== null && Date.parse(doc.auction.endsAt) > now) ||
    (doc.giveaway !== null && Date.parse(doc.giveaway.endsAt) > now)
  );
}
