import { topCandidates } from '../memory/livestream-index';
import {
  commonLambdaParameters,
  f32,
  liveAndNotExcluded,
  type StrategyDefinition,
} from './retrieval-strategy';

type FollowingParams = { minHotness: number };

/** Live streams of the sellers the user follows, hottest first. Score: hotness. */
export const followingStrategy: StrategyDefinition<FollowingParams> = {
  name: 'following',
  description: 'Live streams of followed sellers, by hotness',
  params: {
    minHotness: { default: 0, min: 0, description: 'Leave out streams below this hotness' },
  },
  applies: (request) => request.followedSellers.length > 0,
  memory(index, { request, params, excluded }) {
    const min = f32(params.minHotness);
    const docs = request.followedSellers.flatMap((sellerId) => [...index.liveOfSeller(sellerId)]);
    return topCandidates(docs, request.limit, excluded, (doc) => {
      const hotness = f32(doc.hotness);
      return hotness >= min ? hotness : null;
    });
  },
  elasticsearch: (retrieval) => ({
    query: {
      function_score: {
        query: liveAndNotExcluded(retrieval, [
          { terms: { sellerId: [...retrieval.request.followedSellers] } },
          { range: { hotness: { gte: retrieval.params.minHotness } } },
        ]),
        functions: [{ field_value_factor: { field: 'hotness', missing: 0 } }],
        boost_mode: 'replace',
      },
    },
  }),
  queryLambda: {
    lambda: 'following',
    parameters: (retrieval) => [
      { name: 'followed_sellers', type: 'string', value: JSON.stringify(retrieval.request.followedSellers) },
      { name: 'min_hotness', type: 'float', value: String(retrieval.params.minHotness) },
      ...commonLambdaParameters(retrieval),
    ],
  },
};
