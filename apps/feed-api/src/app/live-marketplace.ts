import { type LivestreamIndex } from '@crest/retrieval';
import { type UserSignals } from '@crest/signals';

/**
 * What the home feed reads of the live marketplace: the memory replica of live livestream docs and what is
 * known of each user. Embedded mode computes both in process; with Kafka both are replicas of the topics
 * the event-ingestor publishes.
 */
export interface LiveMarketplace {
  readonly index: LivestreamIndex;
  userSignals(userId: string): UserSignals;
}

export const LIVE_MARKETPLACE = Symbol('LIVE_MARKETPLACE');
