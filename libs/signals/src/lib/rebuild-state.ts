import {
  decodeEvent,
  LIVESTREAM_STATE_TOPIC,
  type MarketplaceEvent,
  PARTITION_KEY_FIELD,
  type Topic,
  USER_SIGNALS_TOPIC,
} from '@crest/event-schemas';
import {
  type ConsumedMessage,
  createKeyPartitioner,
  type EventBus,
  type PartitionPosition,
} from '@crest/messaging';

import { type SignalPipeline } from './signal-pipeline';
import { readLatestDocs } from './sinks/state-topic-doc.sink';
import { type UserSignalsShare, userSignalsSourceOf } from './user-signals';

export interface RebuildReport {
  /** Partitions gained, as `topic:partition`. */
  partitions: string[];
  /** Streams whose state came from their last doc on the state topic. */
  restoredDocs: number;
  /** User signal shares restored from their topic. */
  restoredUserSignals: number;
  /** Events read back from the retained window and folded in (duplicates included). */
  replayedEvents: number;
  /** Messages in the window that do not decode (they went to the DLQ the first time). */
  undecodable: number;
  durationMs: number;
}

/**
 * Which streams a set of marketplace partitions holds. Stream-keyed topics are co-partitioned (the bus
 * gives partition p of each to one member), so a stream belongs to the partition its id hashes to.
 */
export class StreamPartitions {
  private readonly partitionOf = createKeyPartitioner();

  private constructor(private readonly counts: ReadonlyMap<string, number>) {}

  /** Looks up the partition counts of the stream-keyed topics among `topics`. */
  static async of(bus: EventBus, topics: readonly string[]): Promise<StreamPartitions> {
    const streamTopics = topics.filter((t) => PARTITION_KEY_FIELD[t as Topic] === 'livestreamId');
    const counts = await Promise.all(
      streamTopics.map(async (t) => [t, await bus.partitionCount(t)] as const),
    );
    return new StreamPartitions(new Map(counts));
  }

  /** A predicate true for the streams whose events are in one of `partitions`. */
  holding(
    partitions: ReadonlyArray<{ topic: string; partition: number }>,
  ): (livestreamId: string) => boolean {
    const owned = partitions.filter((p) => this.counts.has(p.topic));
    const keys = new Set(owned.map((p) => `${p.topic}:${p.partition}`));
    const topics = [...new Set(owned.map((p) => p.topic))];
    return (livestreamId) =>
      topics.some((topic) =>
        keys.has(`${topic}:${this.partitionOf(topic, livestreamId, this.counts.get(topic)!)}`),
      );
  }
}

export interface RebuildStateOptions {
  bus: EventBus;
  pipeline: SignalPipeline;
  streamPartitions: StreamPartitions;
  stateTopic?: string;
  userSignalsTopic?: string;
  /** Wall clock, for the start of the replayed window (broker time). */
  now?: () => number;
}

/**
 * Rebuilds what a member keeps for partitions it just gained, before it processes any of their messages:
 * 1. each of their streams' last doc from the compacted state topic becomes its state (status, auction,
 *    viewers... as of the doc's newest event), and each user signals share they feed is restored;
 * 2. the retained window (`pipeline.replaySpanMs` of broker time) of every gained partition, up to where
 *    the group resumes, is read back and folded in without emitting, which refills the windows and brings
 *    the state up to date. Events after that position arrive through the group as usual; those the sinks
 *    already had are harmless (idempotent writes, versions).
 */
export async function rebuildGainedState(
  options: RebuildStateOptions,
  gained: readonly PartitionPosition[],
): Promise<RebuildReport> {
  const started = performance.now();
  const { pipeline } = options;
  const report: RebuildReport = {
    partitions: gained.map((p) => `${p.topic}:${p.partition}`),
    restoredDocs: 0,
    restoredUserSignals: 0,
    replayedEvents: 0,
    undecodable: 0,
    durationMs: 0,
  };

  const isGainedStream = options.streamPartitions.holding(gained);
  const sources = new Set(gained.map(userSignalsSourceOf));
  // A failed attempt may have left part of these partitions behind: start each attempt clean.
  pipeline.forgetStreams(isGainedStream);
  pipeline.forgetUserSignals((source) => sources.has(source));
  pipeline.startRebuild();
  try {
    await restoreAndReplay(options, gained, report, isGainedStream, sources);
  } finally {
    pipeline.finishRebuild();
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

async function restoreAndReplay(
  options: RebuildStateOptions,
  gained: readonly PartitionPosition[],
  report: RebuildReport,
  isGainedStream: (livestreamId: string) => boolean,
  sources: ReadonlySet<string>,
): Promise<void> {
  const { bus, pipeline } = options;
  const stateTopic = options.stateTopic ?? LIVESTREAM_STATE_TOPIC;
  const latest = await readLatestDocs(bus, { topic: stateTopic, include: isGainedStream });
  for (const doc of latest.values()) if (pipeline.restore(doc)) report.restoredDocs++;

  const shares = new Map<string, UserSignalsShare | null>();
  const userSignalsTopic = options.userSignalsTopic ?? USER_SIGNALS_TOPIC;
  const userParts = await bus.partitionCount(userSignalsTopic);
  await bus.readRange(
    Array.from({ length: userParts }, (_, partition) => ({ topic: userSignalsTopic, partition })),
    (messages) => {
      for (const message of messages) {
        if (message.key === null || !sources.has(message.key.slice(message.key.indexOf('|') + 1))) continue;
        shares.set(
          message.key,
          message.tombstone ? null : (JSON.parse(message.value.toString()) as UserSignalsShare),
        );
      }
    },
  );
  for (const share of shares.values()) {
    if (!share) continue;
    pipeline.restoreUserSignals(share);
    report.restoredUserSignals++;
  }

  const from = (options.now ?? Date.now)() - pipeline.replaySpanMs;
  await bus.readRange(
    gained.map((p) => ({ topic: p.topic, partition: p.partition, fromTimestamp: from, toOffset: p.offset })),
    (messages) => {
      const events: MarketplaceEvent[] = [];
      const origins: ConsumedMessage[] = [];
      const now = Date.now();
      for (const message of messages) {
        const decoded = decodeEvent(message.value, { now });
        if (decoded.ok) {
          events.push(decoded.event);
          origins.push(message);
        } else {
          report.undecodable++;
        }
      }
      pipeline.replay(events, origins);
      report.replayedEvents += events.length;
    },
  );
}
