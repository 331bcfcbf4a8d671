import { topFromRanked } from '../memory/livestream-index';
import { type RetrievedDoc } from '../retrieval-request';
import {
  commonLambdaParameters,
  f32,
  liveAndNotExcluded,
  type StrategyDefinition,
} from './retrieval-strategy';

type CategoryAffinityParams = { minMomentum: number };

/**
 * Live streams in the user's categories, by momentum weighted with the user's strongest affinity among
 * the stream's categories. Score: momentum × max affinity.
 */
export const categoryAffinityStrategy: StrategyDefinition<CategoryAffinityParams> = {
  name: 'category-affinity',
  description: "Live streams in the user's categories, by momentum × category affinity",
  params: {
    minMomentum: { default: 0, min: 0, description: 'Leave out streams below this momentum' },
  },
  applies: (request) => Object.keys(request.categoryAffinities).length > 0,
  memory(index, { request, params, excluded }) {
    const affinities = request.categoryAffinities;
    const min = f32(params.minMomentum);
    // One momentum-ordered source per category, strongest affinity first: a doc's score is its bound in the
    // source of its strongest category, so each source is read only while it can still place a doc.
    const sources = Object.entries(affinities)
      .sort(([, a], [, b]) => b - a)
      .map(([category, affinity]) => ({
        docs: index.liveInCategory(category),
        bound: (doc: RetrievedDoc) => {
          const momentum = f32(doc.momentum);
          return momentum < min ? null : f32(momentum * f32(affinity));
        },
      }));
    return topFromRanked(sources, request.limit, excluded, (doc) => {
      const momentum = f32(doc.momentum);
      if (momentum < min) return null;
      let affinity = 0;
      for (const category of doc.categoryIds) affinity = Math.max(affinity, f32(affinities[category] ?? 0));
      return f32(momentum * affinity);
    });
  },
  elasticsearch(retrieval) {
    const affinities = Object.entries(retrieval.request.categoryAffinities);
    return {
      query: {
        function_score: {
          query: liveAndNotExcluded(retrieval, [
            { terms: { categoryIds: affinities.map(([category]) => category) } },
            { range: { momentum: { gte: retrieval.params.minMomentum } } },
          ]),
          // One function per category: momentum × that category's affinity; the best matching one counts.
          functions: affinities.map(([category, affinity]) => ({
            filter: { term: { categoryIds: category } },
            field_value_factor: { field: 'momentum', factor: affinity, missing: 0 },
          })),
          score_mode: 'max',
          boost_mode: 'replace',
        },
      },
    };
  },
  queryLambda: {
    lambda: 'category_affinity',
    parameters: (retrieval) => {
      const affinities = Object.entries(retrieval.request.categoryAffinities);
      return [
        {
          name: 'categories',
          type: 'string',
          value: JSON.stringify(affinities.map(([category]) => category)),
        },
        {
          name: 'affinities',
          type: 'string',
          value: JSON.stringify(affinities.map(([, affinity]) => affinity)),
        },
        { name: 'min_momentum', type: 'float', value: String(retrieval.params.minMomentum) },
        ...commonLambdaParameters(retrieval),
      ];
    },
  },
};
