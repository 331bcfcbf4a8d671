import { type MarketplaceEvent } from '@crest/event-schemas';
import { consumeMarketplaceEvents, type EventBus, type Subscription } from '@crest/messaging';

import { type LivestreamDocEmitter } from './livestream-doc-emitter';
import { type SignalPipeline } from './signal-pipeline';

export interface IngestRunnerOptions {
  bus: EventBus;
  pipeline: SignalPipeline;
  emitter: LivestreamDocEmitter;
  groupId: string;
  topics?: readonly string[];
  fromBeginning?: boolean;
  maxBatchSize?: number;
  /**
   * Called once a batch's docs reached every sink, with its events and the time that happened: feeds the
   * freshness histogram (sink acknowledgement minus `occurredAt`).
   */
  onDurable?: (events: readonly MarketplaceEvent[], durableAt: number) => void;
}

/**
 * The ingest loop shared by the event-ingestor app and embedded feed-api: consume marketplace topics,
 * decode (dead-lettering what does not), fold into the pipeline, and acknowledge each batch only after the
 * emission that carries its effects reached the sinks, so a crash before that replays it (at-least-once;
 * the pipeline de-duplicates by event id and the sinks write idempotently).
 */
export async function startIngest(options: IngestRunnerOptions): Promise<Subscription> {
  options.emitter.start();
  return consumeMarketplaceEvents(options.bus, {
    groupId: options.groupId,
    topics: options.topics,
    fromBeginning: options.fromBeginning,
    maxBatchSize: options.maxBatchSize,
    deferAck: true,
    onEvents: (events, _messages, ack) => {
      options.pipeline.ingest(events);
      void options.emitter.afterNextEmission().then(() => {
        ack();
        options.onDurable?.(events, Date.now());
      });
    },
  });
}
