import { type EventBus } from '@crest/messaging';
import { LivestreamIndex, StateTopicReplica } from '@crest/retrieval';
import { type UserSignals, UserSignalsReplica } from '@crest/signals';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { FEED_API_CONFIG } from '../embedded/embedded-marketplace.service';
import { EVENT_BUS } from '../embedded/event-bus.provider';
import { type FeedApiConfig } from '../feed-api.config';
import { type LiveMarketplace } from '../live-marketplace';

/**
 * The live marketplace with Kafka: replicas of the compacted livestream state topic (into the memory
 * index) and of the user signals topic, both written by the event-ingestor. Startup waits for both to
 * catch up (bounded by REPLICA_CATCH_UP_TIMEOUT_MS), so the first feeds are not served from an empty replica.
 */
@Injectable()
export class ReplicatedMarketplaceService
  implements LiveMarketplace, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(ReplicatedMarketplaceService.name);
  readonly index = new LivestreamIndex();
  readonly livestreams: StateTopicReplica;
  readonly users: UserSignalsReplica;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(FEED_API_CONFIG) private readonly config: FeedApiConfig,
  ) {
    this.livestreams = new StateTopicReplica(bus, this.index);
    this.users = new UserSignalsReplica(bus);
  }

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all([this.livestreams.start(), this.users.start()]);
    const started = Date.now();
    const timeoutMs = this.config.REPLICA_CATCH_UP_TIMEOUT_MS;
    try {
      await Promise.all([this.livestreams.caughtUp(timeoutMs), this.users.caughtUp(timeoutMs)]);
      this.logger.log(
        `replicas caught up in ${Date.now() - started} ms: ${this.index.size} live streams, ${this.users.size} users`,
      );
    } catch (error) {
      // Serving goes on: carousels fall back to Elasticsearch (when configured) until the replica is current.
      this.logger.warn(`replicas not caught up at start, serving anyway: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.livestreams.stop(), this.users.stop()]);
    await this.bus.close();
  }

  userSignals(userId: string): UserSignals {
    return this.users.get(userId);
  }
}
