import { hostname } from 'node:os';

import { MARKETPLACE_TOPICS } from '@crest/event-schemas';
import { type EventBus, InProcessEventBus, KafkaEventBus, type Subscription } from '@crest/messaging';
import { PullModelEventSink, SqlDocSink, SqlStore } from '@crest/retrieval';
import {
  consumeSellerFeatures,
  ElasticsearchDocSink,
  LivestreamDocEmitter,
  type LivestreamDocSink,
  SignalPipeline,
  startIngest,
  StateTopicDocSink,
} from '@crest/signals';
import { Client } from '@elastic/elasticsearch';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { type EventIngestorConfig } from './event-ingestor.config';
import { IngestMetrics } from './ingest-metrics';

export const INGESTOR_CONFIG = Symbol('INGESTOR_CONFIG');

/** Wires the ingest pipeline from libs/signals to the configured bus and sinks, and shuts it down in order. */
@Injectable()
export class IngestorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IngestorService.name);
  readonly pipeline: SignalPipeline;
  readonly metrics: IngestMetrics;
  private readonly bus: EventBus;
  private readonly emitter: LivestreamDocEmitter;
  private readonly stateSink: StateTopicDocSink;
  private readonly elasticsearch?: { client: Client; sink: ElasticsearchDocSink };
  /** The pull model's store (PULL_MODEL_DATABASE_URL): docs, raw events, rollups, follows. */
  private readonly pullModel?: { store: SqlStore; events: PullModelEventSink };
  private subscription?: Subscription;
  private sellerFeatures?: Subscription;
  private ready = false;

  constructor(@Inject(INGESTOR_CONFIG) private readonly config: EventIngestorConfig) {
    this.pipeline = new SignalPipeline({ allowedLatenessMs: config.ALLOWED_LATENESS_MS });
    this.bus = config.KAFKA_BROKERS
      ? new KafkaEventBus({
          brokers: config.KAFKA_BROKERS,
          clientId: 'event-ingestor',
          createTopics: true,
          sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        })
      : new InProcessEventBus();
    this.metrics = new IngestMetrics(this.pipeline, {
      bus: this.bus,
      groupId: config.INGEST_GROUP_ID,
      topics: MARKETPLACE_TOPICS,
    });
    this.stateSink = new StateTopicDocSink(this.bus);
    const sinks: LivestreamDocSink[] = [this.stateSink];
    if (config.ELASTICSEARCH_URL) {
      const client = new Client({ node: config.ELASTICSEARCH_URL });
      this.elasticsearch = {
        client,
        sink: new ElasticsearchDocSink(client, { alias: config.ELASTICSEARCH_INDEX_ALIAS }),
      };
      sinks.push(this.elasticsearch.sink);
    }
    if (config.PULL_MODEL_DATABASE_URL) {
      const store = new SqlStore({
        connectionString: config.PULL_MODEL_DATABASE_URL,
        schema: config.PULL_MODEL_SCHEMA,
      });
      this.pullModel = { store, events: new PullModelEventSink(store) };
      sinks.push(new SqlDocSink(store));
    }
    this.emitter = new LivestreamDocEmitter(this.pipeline, sinks, {
      emitIntervalMs: config.EMIT_INTERVAL_MS,
      onError: (error, sink) => {
        this.metrics.sinkErrors.inc({ sink });
        this.logger.warn(`sink ${sink} failed, retrying: ${(error as Error).message}`);
      },
      onEmitted: (changes) => this.metrics.docsEmitted.inc(changes.upserts.length),
      onSinkWritten: (sink, ms) => this.metrics.sinkWrite.observe({ sink }, ms / 1000),
    });
  }

  get isReady(): boolean {
    return this.ready;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.KAFKA_BROKERS) {
      this.logger.warn(
        'KAFKA_BROKERS is not set: consuming an in-process bus that nothing outside this process feeds',
      );
    }
    await this.bus.ensureTopics(MARKETPLACE_TOPICS.map((name) => ({ name, partitions: 6 })));
    await this.stateSink.ensureTopic();
    await this.elasticsearch?.sink.ensureIndex();
    if (this.pullModel) {
      const applied = await this.pullModel.store.migrate();
      if (applied.length > 0) this.logger.log(`pull model: applied migrations ${applied.join(', ')}`);
      await this.pullModel.events.startMaintenance(60_000, (error) =>
        this.logger.warn(`pull model maintenance failed, retrying in a minute: ${(error as Error).message}`),
      );
    }
    // Every instance needs every seller's features, so each reads the whole compacted topic itself.
    this.sellerFeatures = await consumeSellerFeatures(
      this.bus,
      this.pipeline,
      `${hostname()}-${process.pid}`,
    );
    this.subscription = await startIngest({
      bus: this.bus,
      pipeline: this.pipeline,
      emitter: this.emitter,
      groupId: this.config.INGEST_GROUP_ID,
      fromBeginning: true,
      onDurable: (events, at) => this.metrics.durable(events, at),
      onDeadLettered: (topic, code) => this.metrics.deadLettered.inc({ topic, code }),
      eventSinks: this.pullModel ? [this.pullModel.events] : [],
      onEventSinkError: (error, sink) => {
        this.metrics.sinkErrors.inc({ sink });
        this.logger.warn(`event sink ${sink} failed, retrying: ${(error as Error).message}`);
      },
      onRebuilt: (report) => {
        this.metrics.rebuilt(report);
        this.logger.log(
          `rebuilt ${report.partitions.length} partitions in ${report.durationMs} ms: ` +
            `${report.restoredDocs} streams from their docs, ${report.replayedEvents} events replayed`,
        );
      },
      onRebuildError: (error) => {
        this.metrics.rebuildErrors.inc();
        this.logger.warn(`rebuilding state failed, retrying: ${(error as Error).message}`);
      },
    });
    this.ready = true;
    this.logger.log(`ingesting ${MARKETPLACE_TOPICS.join(', ')} as group ${this.config.INGEST_GROUP_ID}`);
  }

  /** Stop taking input, write what is pending (which acknowledges it), commit, disconnect. */
  async onApplicationShutdown(): Promise<void> {
    this.ready = false;
    await this.emitter.stop();
    await this.subscription?.close();
    await this.sellerFeatures?.close();
    await this.bus.close();
    await this.elasticsearch?.client.close();
    this.pullModel?.events.stopMaintenance();
    await this.pullModel?.store.close();
  }
}
