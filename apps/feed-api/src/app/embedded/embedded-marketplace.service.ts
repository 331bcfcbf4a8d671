import { MARKETPLACE_TOPICS } from '@crest/event-schemas';
import { consumeMarketplaceEvents, type EventBus, publishEvents, type Subscription } from '@crest/messaging';
import { LivestreamIndex } from '@crest/retrieval';
import {
  ElasticsearchDocSink,
  LivestreamDocEmitter,
  type LivestreamDocSink,
  MemoryDocSink,
  SignalPipeline,
  startIngest,
  type UserSignals,
} from '@crest/signals';
import { MarketplaceSimulator, runSimulatorInRealTime, type SimulatedItem } from '@crest/testing';
import { Client } from '@elastic/elasticsearch';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { type FeedApiConfig } from '../feed-api.config';
import { type LiveMarketplace } from '../live-marketplace';
import { EVENT_BUS } from './event-bus.provider';
import { MarketplaceActivity } from './marketplace-activity';

export const FEED_API_CONFIG = Symbol('FEED_API_CONFIG');

/**
 * Embedded mode's live marketplace: the simulator publishes to the in-process bus in real time, the signal
 * pipeline turns it into livestream docs for the memory index (and Elasticsearch when ELASTICSEARCH_URL is
 * set, so the fallback serves the same streams) and user signals, and a consumer group decodes what arrives
 * (dead-lettering the malformed) into a live activity view.
 */
@Injectable()
export class EmbeddedMarketplaceService
  implements LiveMarketplace, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(EmbeddedMarketplaceService.name);
  private readonly abort = new AbortController();
  private subscription?: Subscription;
  private signalsSubscription?: Subscription;
  private simulatorRun?: Promise<void>;
  readonly activity = new MarketplaceActivity();
  /** The push pipeline of libs/signals, in-process: docs land in the memory sink (the local replica). */
  readonly pipeline = new SignalPipeline();
  readonly docs = new MemoryDocSink();
  /** The memory retrieval replica the home feed reads. */
  readonly index = new LivestreamIndex();
  private readonly emitter: LivestreamDocEmitter;
  private readonly elasticsearch?: { client: Client; sink: ElasticsearchDocSink };

  constructor(
    @Inject(EVENT_BUS) readonly bus: EventBus,
    @Inject(FEED_API_CONFIG) private readonly config: FeedApiConfig,
  ) {
    const sinks: LivestreamDocSink[] = [this.docs, this.index];
    if (config.ELASTICSEARCH_URL) {
      const client = new Client({ node: config.ELASTICSEARCH_URL });
      const sink = new ElasticsearchDocSink(client, { alias: config.ELASTICSEARCH_INDEX_ALIAS });
      this.elasticsearch = { client, sink };
      sinks.push(sink);
    }
    this.emitter = new LivestreamDocEmitter(this.pipeline, sinks, {
      onError: (error, sink) =>
        this.logger.warn(`sink ${sink} failed, retrying: ${(error as Error).message}`),
    });
  }

  userSignals(userId: string): UserSignals {
    return this.pipeline.userSignals(userId);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.elasticsearch?.sink.ensureIndex();
    await this.bus.ensureTopics(MARKETPLACE_TOPICS.map((name) => ({ name, partitions: 6 })));
    this.subscription = await consumeMarketplaceEvents(this.bus, {
      groupId: 'feed-api.activity',
      onEvents: (events) => this.activity.record(events),
    });
    this.signalsSubscription = await startIngest({
      bus: this.bus,
      pipeline: this.pipeline,
      emitter: this.emitter,
      groupId: 'feed-api.signals',
    });
    if (!this.config.SIMULATOR_ENABLED) return;

    const simulator = new MarketplaceSimulator({
      seed: this.config.SIMULATOR_SEED,
      eventsPerSecond: this.config.SIMULATOR_EVENTS_PER_SECOND,
      malformedRate: this.config.SIMULATOR_MALFORMED_RATE,
      sellers: this.config.SIMULATOR_SELLERS,
      targetLiveStreams: this.config.SIMULATOR_LIVE_STREAMS,
      startTime: Date.now(),
    });
    // The simulated sellers' batch features, as the seller-features import would load them.
    for (const features of simulator.sellerFeatures())
      this.pipeline.setSellerFeatures(features.sellerId, {
        score: features.score,
        embedding: features.embedding,
      });
    this.simulatorRun = runSimulatorInRealTime({
      simulator,
      signal: this.abort.signal,
      emit: (items) => this.publish(items),
    }).catch((error: unknown) => this.logger.error(`simulator stopped: ${String(error)}`));
    this.logger.log(
      `simulator running: ${this.config.SIMULATOR_EVENTS_PER_SECOND} events/s, seed ${this.config.SIMULATOR_SEED}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.abort.abort();
    await this.simulatorRun;
    await this.emitter.stop();
    await this.signalsSubscription?.close();
    await this.subscription?.close();
    await this.bus.close();
    await this.elasticsearch?.client.close();
  }

  private async publish(items: SimulatedItem[]): Promise<void> {
    const events = items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
    const malformed = items.flatMap((item) =>
      item.kind === 'malformed' ? [{ topic: item.topic, key: item.key, value: item.value }] : [],
    );
    await publishEvents(this.bus, events);
    if (malformed.length > 0) await this.bus.publish(malformed);
  }
}
