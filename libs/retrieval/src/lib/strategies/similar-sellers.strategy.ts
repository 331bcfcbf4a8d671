import { BestOf } from '../memory/livestream-index';
import { type Candidate, compareCandidates } from '../retrieval-request';
import { commonLambdaParameters, liveAndNotExcluded, type StrategyDefinition } from './retrieval-strategy';

// Reused by every call (the memory strategy runs synchronously): no garbage per query.
let scratchScores = new Float32Array(0);

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
    const user = request.userEmbedding!;
    const table = index.sellerVectors(user.length);
    if (!table) return [];
    const cosines = table.cosines(user);
    // Scores as float32 (a Float32Array rounds on store); -1 marks a seller left out.
    if (scratchScores.length < cosines.length) scratchScores = new Float32Array(cosines.length * 2);
    const scores = scratchScores.subarray(0, cosines.length);
    const minSimilarity = params.minSimilarity;
    for (let row = 0; row < cosines.length; row++) {
      const cosine = cosines[row]!;
      scores[row] = cosine >= minSimilarity ? (1 + cosine) / 2 : -1;
    }
    if (params.excludeFollowed)
      for (const sellerId of request.followedSellers) {
        const row = table.rowOf(sellerId);
        if (row !== undefined) scores[row] = -1;
      }
    const streamsAtLeast = (threshold: number) => {
      const streams = new BestOf<Candidate>(compareCandidates, request.limit);
      for (let row = 0; row < scores.length; row++) {
        const score = scores[row]!;
        if (score < threshold) continue;
        for (const doc of index.liveOfSeller(table.sellerIds[row]!))
          if (!excluded.has(doc.livestreamId)) streams.offer({ livestreamId: doc.livestreamId, score, doc });
      }
      return streams.inOrder();
    };
    // Every live seller has a live stream, so the best `limit` streams come from the best `limit` sellers
    // and those tied with the last, unless excluded ids leave too few: then from all of them.
    const best = new BestOf<number>((a, b) => scores[b]! - scores[a]!, request.limit);
    let floor = 0;
    for (let row = 0; row < scores.length; row++) {
      if (scores[row]! < floor) continue;
      best.offer(row);
      if (best.full) floor = scores[best.worst()!]!;
    }
    if (!best.full) return streamsAtLeast(0);
    const candidates = streamsAtLeast(scores[best.worst()!]!);
    return candidates.length === request.limit ? candidates : streamsAtLeast(0);
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
  queryLambda: {
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
