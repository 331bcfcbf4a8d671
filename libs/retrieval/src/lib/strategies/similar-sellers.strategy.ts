import { cosineSimilarity, normOf, topCandidates } from '../memory/livestream-index';
import { type RetrievedDoc } from '../retrieval-request';
import {
  commonLambdaParameters,
  f32,
  liveAndNotExcluded,
  type StrategyDefinition,
} from './retrieval-strategy';

type SimilarSellersParams = { minSimilarity: number; excludeFollowed: boolean; numCandidates: number };

/**
 * Live streams of the sellers whose embedding is closest to the user's (cosine), leaving out followed
 * sellers by default (the `following` strategy has them). Needs a user embedding; without one the answer is
 * empty. Score: (1 + cosine) / 2, in [0, 1], as Elasticsearch scores cosine kNN.
 *
 * Elasticsearch answers from its HNSW graph (approximate, `numCandidates` per shard); the memory backend
 * compares every live seller exactly. With numCandidates above the live docs with embeddings they agree.
 */
export const similarSellersStrategy: StrategyDefinition<SimilarSellersParams> = {
  name: 'similar-sellers',
  description: "Live streams of sellers whose embedding is closest to the user's",
  params: {
    minSimilarity: { default: 0, min: -1, max: 1, description: 'Least cosine similarity' },
    excludeFollowed: { default: true, description: 'Leave out sellers the user follows' },
    numCandidates: {
      default: 2000,
      min: 1,
      max: 10_000,
      description: 'Elasticsearch kNN candidates per shard',
    },
  },
  applies: (request) => request.userEmbedding != null,
  memory(index, { request, params, excluded }) {
    const user = Float32Array.from(request.userEmbedding!);
    const userNorm = normOf(user);
    const followed = params.excludeFollowed ? new Set(request.followedSellers) : new Set<string>();
    const scoreOfSeller = new Map<string, number>();
    for (const seller of index.liveSellerVectors()) {
      if (followed.has(seller.sellerId) || seller.embedding.length !== user.length) continue;
      const cosine = cosineSimilarity(user, userNorm, seller.embedding, seller.norm);
      if (cosine >= params.minSimilarity) scoreOfSeller.set(seller.sellerId, f32((1 + cosine) / 2));
    }
    const docs: RetrievedDoc[] = [];
    for (const sellerId of scoreOfSeller.keys())
      for (const doc of index.liveOfSeller(sellerId)) docs.push(doc);
    return topCandidates(docs, request.limit, excluded, (doc) => scoreOfSeller.get(doc.sellerId!) ?? null);
  },
  elasticsearch(retrieval) {
    const { request, params } = retrieval;
    const filter = liveAndNotExcluded(
      retrieval,
      [],
      params.excludeFollowed && request.followedSellers.length > 0
        ? [{ terms: { sellerId: [...request.followedSellers] } }]
        : [],
    );
    return {
      query: {
        knn: {
          field: 'seller.embedding',
          query_vector: [...request.userEmbedding!],
          num_candidates: Math.max(params.numCandidates, request.limit),
          similarity: params.minSimilarity,
          filter: [filter],
        },
      },
    };
  },
  rockset: {
    lambda: 'similar_sellers',
    parameters: (retrieval) => [
      { name: 'user_embedding', type: 'string', value: JSON.stringify(retrieval.request.userEmbedding) },
      {
        name: 'excluded_sellers',
        type: 'string',
        value: JSON.stringify(retrieval.params.excludeFollowed ? retrieval.request.followedSellers : []),
      },
      { name: 'min_similarity', type: 'float', value: String(retrieval.params.minSimilarity) },
      ...commonLambdaParameters(retrieval),
    ],
  },
};
