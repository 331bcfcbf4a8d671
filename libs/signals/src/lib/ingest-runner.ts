import { MARKETPLACE_TOPICS, type MarketplaceEvent } from '@crest/event-schemas';
import { consumeMarketplaceEvents, type EventBus, type Subscription } from '@crest/messaging';

import { type LivestreamDocEmitter } from './livestream-doc-emitter';
import { rebuildGainedState, type RebuildReport, StreamPartitions } from './rebuild-state';
import { type SignalPipeline } from './signal-pipeline';
import { type MarketplaceEventSink } from './sinks/event-sink.port';
import { EventSinkLane } from './sinks/event-sink-lane';
import { userSignalsSourceOf } from './user-signals';

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
  /** The compacted topic the docs go to, read back to restore state. Default LIVESTREAM_STATE_TOPIC. */
  stateTopic?: string;
  /** The compacted topic of user signal shares, read back to restore them. Default USER_SIGNALS_TOPIC. */
  userSignalsTopic?: string;
  /** Called after the state of newly owned partitions was rebuilt (at start and after each rebalance). */
  onRebuilt?: (report: RebuildReport) => void;
  /** Called when a rebuild failed; it is retried before any message of those partitions is processed. */
  onRebuildError?: (error: unknown) => void;
  /** Called for each message that did not decode, once it is on the dead-letter topic. */
  onDeadLettered?: (topic: string, code: string) => void;
  /**
   * Also get each batch's decoded events (the pull model's store); the batch is acked once they took it.
   * Each sink writes one batch at a time, merging what arrives meanwhile (see EventSinkLane).
   */
  eventSinks?: readonly MarketplaceEventSink[];
  /** Called when an event sink failed a batch; the write is retried (backing off to 5 s) until it succeeds. */
  onEventSinkError?: (error: unknown, sink: string) => void;
}

/**
 * The ingest loop shared by the event-ingestor app and embedded feed-api: consume marketplace topics,
 * decode (dead-lettering what does not), fold into the pipeline, and acknowledge each batch only after the
 * emission that carries its effects reached the sinks, so a crash before that replays it (at-least-once;
 * the pipeline de-duplicates by event id and the sinks write idempotently). On start and after every
 * rebalance, the partitions this instance gained are rebuilt first (see rebuildGainedState).
 */
export async function startIngest(options: IngestRunnerOptions): Promise<Subscription> {
  const topics = options.topics ?? MARKETPLACE_TOPICS;
  const streamPartitions = await StreamPartitions.of(options.bus, topics);
  options.emitter.start();
  const eventLanes = (options.eventSinks ?? []).map(
    (sink) => new EventSinkLane(sink, { onError: options.onEventSinkError }),
  );
  return consumeMarketplaceEvents(options.bus, {
    groupId: options.groupId,
    topics,
    // Before a gained partition's first message: its streams' last docs plus a replay of the window.
    onPartitionsAssigned: async (gained) => {
      const report = await rebuildGainedState(
        {
          bus: options.bus,
          pipeline: options.pipeline,
          streamPartitions,
          stateTopic: options.stateTopic,
          userSignalsTopic: options.userSignalsTopic,
        },
        gained,
      );
      options.onRebuilt?.(report);
    },
    // Another member owns these streams now and writes their docs; ours would only go stale.
    onPartitionsRevoked: (lost) => {
      options.pipeline.forgetStreams(streamPartitions.holding(lost));
      const sources = new Set(lost.map(userSignalsSourceOf));
      options.pipeline.forgetUserSignals((source) => sources.has(source));
    },
    onRebuildError: options.onRebuildError,
    onDeadLettered: (message, code) => options.onDeadLettered?.(message.topic, code),
    fromBeginning: options.fromBeginning,
    maxBatchSize: options.maxBatchSize,
    deferAck: true,
    onEvents: (events, messages, ack) => {
      options.pipeline.ingest(events, messages);
      void Promise.all([
        options.emitter.afterNextEmission(),
        ...eventLanes.map((lane) => lane.write(events)),
      ]).then(() => {
        ack();
        options.onDurable?.(events, Date.now());
      });
    },
  });
}
