import { type LivestreamDoc, SignalPipeline } from '@crest/signals';
import { MarketplaceSimulator, SeededRandom } from '@crest/testing';

import { type RetrievalRequest } from './retrieval-request';
import { DEFAULT_STRATEGIES } from './strategies/default-strategies';

export interface SimulatedRetrievalDataOptions {
  /** Live streams to reach. */
  liveStreams: number;
  seed?: number;
  /** Seller (and user) embedding dimensions. Default 16. */
  embeddingDims?: number;
  /** Synthetic users; each asks every strategy once. Default 20. */
  users?: number;
  /** Candidates per request. Default 50. */
  limit?: number;
}

export interface SimulatedRetrievalData {
  /** The docs the signal pipeline built, live and recently ended, with seller features. */
  docs: LivestreamDoc[];
  /** The simulator's clock when the docs were taken: the `now` of every request. */
  now: number;
  /** Every strategy for every synthetic user. */
  requests: RetrievalRequest[];
}

/**
 * A realistic retrieval data set: the marketplace simulator run through the real signal pipeline until
 * `liveStreams` are live, with the simulator's seller features, and requests of synthetic users that follow
 * live sellers, like categories and have an embedding near a seller's. For parity tests and benchmarks.
 */
export function simulatedRetrievalData(options: SimulatedRetrievalDataOptions): SimulatedRetrievalData {
  const { liveStreams, seed = 11, embeddingDims = 16, users = 20, limit = 50 } = options;
  const simulator = new MarketplaceSimulator({
    seed,
    eventsPerSecond: Math.max(2_000, liveStreams * 2),
    targetLiveStreams: liveStreams,
    sellers: Math.max(50, Math.round(liveStreams / 3)),
    users: 5_000,
  });
  const pipeline = new SignalPipeline({ allowedLatenessMs: 24 * 3_600_000 });
  for (const features of simulator.sellerFeatures(embeddingDims))
    pipeline.setSellerFeatures(features.sellerId, { score: features.score, embedding: features.embedding });
  // Past the ramp-up, and long enough for the 1-minute windows to tell streams apart.
  for (let second = 0; second < 90 && (second < 20 || simulator.liveStreamCount() < liveStreams); second++)
    pipeline.ingest(simulator.advance(1_000).flatMap((item) => (item.kind === 'event' ? [item.event] : [])));
  const docs = pipeline.takeChanges(false).upserts;
  const now = simulator.now();

  const live = docs.filter((doc) => doc.status === 'live');
  const random = new SeededRandom(seed ^ 0x9e3779b9);
  const categories = [...new Set(live.flatMap((doc) => doc.categoryIds))].sort();
  const withEmbedding = live.filter((doc) => doc.seller.embedding);
  const requests: RetrievalRequest[] = [];
  for (let u = 0; u < users; u++) {
    const followedSellers = [
      ...new Set(Array.from({ length: random.int(1, 8) }, () => random.pick(live).sellerId!)),
    ];
    const categoryAffinities = Object.fromEntries(
      Array.from({ length: random.int(1, 3) }, () => [random.pick(categories), 0.1 + random.float() * 2]),
    );
    const near = random.pick(withEmbedding).seller.embedding!;
    const userEmbedding = near.map((x) => x + (random.float() - 0.5) * 0.4);
    for (const strategy of DEFAULT_STRATEGIES)
      requests.push({
        userId: `user-${u}`,
        followedSellers: strategy.name === 'new-user-hot' ? [] : followedSellers,
        categoryAffinities,
        userEmbedding,
        strategy: strategy.name,
        limit,
        now,
      });
  }
  return { docs, now, requests };
}
