import { topFromRanked } from '../memory/livestream-index';
import { type RetrievedDoc } from '../retrieval-request';
import {
  commonLambdaParameters,
  f32,
  liveAndNotExcluded,
  type StrategyDefinition,
} from './retrieval-strategy';

type TrendingParams = { minMomentum: number; minViewers: number };

/** Hotness breaks near-ties in momentum (many quiet streams sit at exactly 1). */
export const TRENDING_HOTNESS_WEIGHT = 0.0001;

/** The live streams with the highest momentum now. Score: momentum + 0.0001 × hotness. */
export const trendingStrategy: StrategyDefinition<TrendingParams> = {
  name: 'trending',
  description: 'Live streams with the highest momentum now (a wave), hotness breaking ties',
  params: {
    minMomentum: { default: 0, min: 0, description: 'Leave out streams below this momentum' },
    minViewers: { default: 0, min: 0, description: 'Leave out streams with fewer current viewers' },
  },
  memory(index, { request, params, excluded }) {
    const minMomentum = f32(params.minMomentum);
    // Read by momentum; no later doc can beat its momentum plus the hottest stream's share.
    const hotnessShare = f32(index.maxLiveHotness() * f32(TRENDING_HOTNESS_WEIGHT));
    const byMomentum = {
      docs: index.liveByMomentum(),
      bound: (doc: RetrievedDoc) => {
        const momentum = f32(doc.momentum);
        return momentum < minMomentum ? null : f32(momentum + hotnessShare);
      },
    };
    return topFromRanked([byMomentum], request.limit, excluded, (doc) => {
      const momentum = f32(doc.momentum);
      if (momentum < minMomentum || doc.currentViewers < params.minViewers) return null;
      return f32(momentum + f32(doc.hotness) * f32(TRENDING_HOTNESS_WEIGHT));
    });
  },
  elasticsearch: (retrieval) => ({
    query: {
      function_score: {
        query: liveAndNotExcluded(retrieval, [
          { range: { momentum: { gte: retrieval.params.minMomentum } } },
          { range: { currentViewers: { gte: retrieval.params.minViewers } } },
        ]),
        functions: [
          { field_value_factor: { field: 'momentum', missing: 0 } },
          { field_value_factor: { field: 'hotness', factor: TRENDING_HOTNESS_WEIGHT, missing: 0 } },
        ],
        score_mode: 'sum',
        boost_mode: 'replace',
      },
    },
  }),
  queryLambda: {
    lambda: 'trending',
    parameters: (retrieval) => [
      { name: 'min_momentum', type: 'float', value: String(retrieval.params.minMomentum) },
      { name: 'min_viewers', type: 'int', value: String(retrieval.params.minViewers) },
      ...commonLambdaParameters(retrieval),
    ],
  },
};
