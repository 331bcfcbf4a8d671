/**
 * The event bus port: what Crest needs from a log-structured broker, modelled on Kafka so the in-process
 * adapter (embedded mode, tests) and the Kafka adapter behave the same.
 *
 * Guarantees every adapter gives (checked by the shared contract suite in `@crest/messaging/testing`):
 * - Messages with the same key land in the same partition and are delivered in publish order.
 * - Each partition of a subscribed topic is owned by exactly one member of a consumer group at a time;
 *   different groups each see every message.
 * - Delivery is at least once. Only acknowledged messages are committed; after a restart or a rebalance a
 *   group resumes from the first unacknowledged message of each partition.
 * - A handler that throws is retried (`maxAttempts`), then the message is dead-lettered with the error as
 *   the reason; a consumer never stops on a bad message and never drops one silently.
 */

/** Header values are strings; binary data goes in the value. */
export type MessageHeaders = Record<string, string>;

export interface OutgoingMessage {
  topic: string;
  /** Partition key. `null` spreads messages round-robin (no ordering guarantee). */
  key: string | null;
  /** `null` is a tombstone: on a compacted topic it removes the key. */
  value: Buffer | string | null;
  headers?: MessageHeaders;
}

export interface PublishReceipt {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; they travel as decimal strings. */
  offset: string;
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** Empty for a tombstone (see `tombstone`). */
  value: Buffer;
  /** The producer sent a null value: the key is deleted. */
  tombstone: boolean;
  headers: MessageHeaders;
  /** Broker append time, epoch ms. */
  timestamp: number;
}

export interface MessageContext {
  /** Marks this message processed; the group's committed position moves past it once all before it are. */
  ack(): void;
  /** Publishes this message to `<topic>.dlq` with the reason, then acknowledges it. */
  deadLetter(reason: string, details?: MessageHeaders): Promise<void>;
}

export interface MessageBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

export interface BatchContext {
  ack(message: ConsumedMessage): void;
  ackAll(): void;
  deadLetter(message: ConsumedMessage, reason: string, details?: MessageHeaders): Promise<void>;
}

/** Where a member resumes a partition: the offset of the next message it will be handed. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  offset: string;
}

interface SubscriptionCommon {
  /** Members sharing a group id split the partitions; each group sees every message. */
  groupId: string;
  topics: string[];
  /** Where a group without a committed position starts: the oldest retained message, or only new ones. */
  fromBeginning?: boolean;
  /** Attempts per message (or batch) before it is dead-lettered. Default 3. */
  maxAttempts?: number;
  /**
   * Awaited when this member gains partitions, before any of their messages is delivered, with the
   * position each resumes at: a stateful subscriber rebuilds what it keeps for them here (e.g. replays a
   * window with `readRange`). The member stays in its group meanwhile. A throw is reported to
   * `onRebuildError` and the call retried (backoff up to 10 s) until it succeeds or the subscription closes.
   */
  onPartitionsAssigned?(gained: PartitionPosition[]): Promise<void>;
  /** Called when this member lost partitions (to a rebalance or its own close), after their last delivery. */
  onPartitionsRevoked?(lost: Array<{ topic: string; partition: number }>): void;
  onRebuildError?(error: unknown): void;
}

export interface MessageSubscription extends SubscriptionCommon {
  eachMessage(message: ConsumedMessage, context: MessageContext): Promise<void>;
}

export interface BatchSubscription extends SubscriptionCommon {
  /** Largest batch handed to `eachBatch`. Default 500. */
  maxBatchSize?: number;
  eachBatch(batch: MessageBatch, context: BatchContext): Promise<void>;
}

export type SubscriptionOptions = MessageSubscription | BatchSubscription;

export interface Subscription {
  /** Partitions this member owns right now, as `topic:partition`. */
  assignments(): string[];
  /** Stops fetching, waits for in-flight handlers, leaves the group (its partitions move to other members). */
  close(): Promise<void>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Keep only the latest message per key (Kafka log compaction). */
  compacted?: boolean;
}

/** A stretch of one partition to read outside any group: from a broker time up to an offset. */
export interface ReadRange {
  topic: string;
  partition: number;
  /** Start at the first message appended at or after this time (epoch ms). Default: the oldest retained. */
  fromTimestamp?: number;
  /** Stop before this offset. Default: the partition's end when the read starts. */
  toOffset?: string;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export interface EventBus {
  /** Creates topics that do not exist; existing ones are left as they are. */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Appends messages; resolves once each is durable in the adapter's sense, in input order. */
  publish(messages: OutgoingMessage[]): Promise<PublishReceipt[]>;
  subscribe(options: SubscriptionOptions): Promise<Subscription>;
  /**
   * Reads retained messages of the given ranges in partition order, without joining a group or committing;
   * resolves once every range was read to its end. For rebuilding state, not for processing.
   */
  readRange(
    ranges: ReadRange[],
    onMessages: (messages: ConsumedMessage[]) => void | Promise<void>,
  ): Promise<void>;
  /** Messages behind per partition: end offset minus the group's committed offset (all of it if none). */
  consumerLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]>;
  /** Partitions of a topic (created with the adapter's defaults if it does not exist and creation is on). */
  partitionCount(topic: string): Promise<number>;
  /** Closes every subscription and the connection. */
  close(): Promise<void>;
}

export function isBatchSubscription(options: SubscriptionOptions): options is BatchSubscription {
  return 'eachBatch' in options;
}
