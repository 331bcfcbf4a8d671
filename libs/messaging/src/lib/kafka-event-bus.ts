import { randomUUID } from 'node:crypto';

import { ConstantBackoff, handleWhen, retry } from 'cockatiel';
import {
  type Admin,
  ConfigResourceTypes,
  type Consumer,
  type IHeaders,
  Kafka,
  type KafkaConfig,
  type KafkaMessage,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';

import { CoPartitionedAssigner } from './co-partitioned-assigner';
import {
  type ConsumedMessage,
  type EventBus,
  type MessageHeaders,
  type OutgoingMessage,
  type PartitionLag,
  type PartitionPosition,
  type PublishReceipt,
  type ReadRange,
  type Subscription,
  type SubscriptionOptions,
  type TopicSpec,
} from './event-bus.port';
import { createKeyPartitioner } from './key-partitioner';
import {
  AckTracker,
  deliverPartitionBatch,
  parseTopicPartition,
  rebuildGainedPartitions,
} from './partition-delivery';

export interface KafkaEventBusOptions {
  /** `host:port` of one or more brokers. */
  brokers: string[];
  clientId: string;
  /**
   * Create topics that do not exist yet, with `defaultPartitions`, when publishing or subscribing. Meant
   * for local runs and tests; production topics are provisioned with their own settings.
   */
  createTopics?: boolean;
  defaultPartitions?: number;
  replicationFactor?: number;
  /** Consumer group session timeout. Default 10 s (30 s for `readRange`'s throwaway group). */
  sessionTimeoutMs?: number;
  /** How long a fetch waits for data when a partition is idle. Default 100 ms (low latency). */
  maxWaitTimeMs?: number;
  /** Longest wait for a new member's first partition assignment in `subscribe`. Default 30 s. */
  joinTimeoutMs?: number;
  onHandlerError?: (error: unknown, message: ConsumedMessage) => void;
  /** Where kafkajs logs go; default: errors only, to stderr. */
  logLevel?: KafkaLogLevel;
}

/**
 * A compacted topic is a table that replicas read from the start (the state topic, user signals, backend
 * switches), so what they read should stay near one record per key. Kafka compacts only closed segments,
 * and by default a segment closes at 1 GiB or after 7 days: at thousands of docs a second a new replica
 * then read every version of the last hour (850 MB after an hour of benches here). Small segments and an
 * eager cleaner keep it near the live set.
 */
const COMPACTED_TOPIC_CONFIG = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'segment.bytes', value: String(16 * 1024 * 1024) },
  { name: 'segment.ms', value: String(10 * 60_000) },
  { name: 'min.cleanable.dirty.ratio', value: '0.1' },
];

/**
 * The EventBus port on Apache Kafka through kafkajs. Producer: idempotent, acks from all in-sync
 * replicas, one request in flight so a key's messages keep their order through retries. Consumers: one
 * kafkajs consumer per subscription, batch fetches, offsets committed only up to the last contiguously
 * acknowledged message (at-least-once), retries then `<topic>.dlq` for what keeps failing. `close()`
 * waits for in-flight batches, commits, and leaves the group so its partitions move at once.
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly partitionOf = createKeyPartitioner();
  private readonly partitionCounts = new Map<string, number>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private connected?: Promise<void>;
  private closed = false;

  constructor(private readonly options: KafkaEventBusOptions) {
    if (options.brokers.length === 0) throw new Error('KafkaEventBus needs at least one broker');
    const config: KafkaConfig = {
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: options.logLevel ?? KafkaLogLevel.ERROR,
      retry: { initialRetryTime: 100, retries: 8 },
    };
    this.kafka = new Kafka(config);
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
  }

  /** Kafka client, for adapters that share the connection settings (e.g. exposure logging). */
  get client(): Kafka {
    return this.kafka;
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    await this.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    for (const spec of topics) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new Error(`topic ${spec.name}: partitions must be a positive integer, got ${spec.partitions}`);
      }
    }
    if (missing.length > 0) {
      // kafkajs's own waitForLeaders retries only LEADER_NOT_AVAILABLE; a KRaft broker can answer
      // UNKNOWN_TOPIC_OR_PARTITION for a moment after creating a topic, so we wait for the leaders ourselves.
      await this.admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: this.options.replicationFactor ?? 1,
          configEntries: t.compacted ? COMPACTED_TOPIC_CONFIG : [],
        })),
      });
      await this.waitForLeaders(missing);
    }
    await this.compactExisting(topics.filter((t) => t.compacted && existing.has(t.name)).map((t) => t.name));
    await this.refreshPartitionCounts(topics.map((t) => t.name));
  }

  /**
   * A topic meant to be compacted can exist without it: any client that published or subscribed to it
   * first created it with the broker's defaults (delete after 7 days), and a replica would then read every
   * version ever written. Ensuring it compacted sets the configuration on such a topic.
   */
  private async compactExisting(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const described = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: COMPACTED_TOPIC_CONFIG.map((c) => c.name),
      })),
    });
    const differing = described.resources
      .filter((resource) =>
        COMPACTED_TOPIC_CONFIG.some(
          (wanted) =>
            resource.configEntries.find((entry) => entry.configName === wanted.name)?.configValue !==
            wanted.value,
        ),
      )
      .map((resource) => resource.resourceName);
    if (differing.length === 0) return;
    await this.admin.alterConfigs({
      validateOnly: false,
      resources: differing.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configEntries: COMPACTED_TOPIC_CONFIG,
      })),
    });
  }

  private async waitForLeaders(topics: TopicSpec[], timeoutMs = 30_000): Promise<void> {
    const names = topics.map((t) => t.name);
    const wanted = new Map(topics.map((t) => [t.name, t.partitions]));
    const policy = retry(handleWhen(isTransientMetadataError), {
      maxAttempts: Math.ceil(timeoutMs / 100),
      backoff: new ConstantBackoff(100),
    });
    await policy.execute(async () => {
      const { topics: described } = await this.admin.fetchTopicMetadata({ topics: names });
      const waiting = described.filter(
        (t) => t.partitions.length < (wanted.get(t.name) ?? 1) || t.partitions.some((p) => p.leader < 0),
      );
      if (waiting.length > 0)
        throw new TopicsNotReady(`no leader yet for ${waiting.map((t) => t.name).join(', ')}`);
      // Metadata can name a leader before that broker serves the partition: ask the leaders themselves.
      await Promise.all(names.map((topic) => this.admin.fetchTopicOffsets(topic)));
    });
  }

  async publish(messages: OutgoingMessage[]): Promise<PublishReceipt[]> {
    if (this.closed) throw new Error('the event bus is closed');
    if (messages.length === 0) return [];
    await this.connect();
    const topics = [...new Set(messages.map((m) => m.topic))];
    await this.knowTopics(topics);

    // Pick partitions here, with the producer's own partitioner, so each receipt can name its offset.
    const routed = messages.map((message) => {
      const partitions = this.partitionCounts.get(message.topic)!;
      const partition = this.partitionOf(message.topic, message.key, partitions);
      return { message, partition };
    });
    // A broker refuses a record batch over message.max.bytes (1 MB by default): send in chunks, one after
    // another, which keeps each key's order.
    const receipts: PublishReceipt[] = [];
    for (const chunk of chunkBySize(routed, MAX_REQUEST_BYTES)) {
      const metadata = await this.producer.sendBatch({
        acks: -1,
        topicMessages: topics.map((topic) => ({
          topic,
          messages: chunk
            .filter((r) => r.message.topic === topic)
            .map(({ message, partition }) => ({
              key: message.key,
              value: message.value,
              partition,
              headers: message.headers,
            })),
        })),
      });
      // Within one request a partition's messages get consecutive offsets from the reported base offset.
      const nextOffset = new Map(
        metadata.map((m) => [`${m.topicName}:${m.partition}`, BigInt(m.baseOffset ?? '0')]),
      );
      for (const { message, partition } of chunk) {
        const key = `${message.topic}:${partition}`;
        const offset = nextOffset.get(key) ?? 0n;
        nextOffset.set(key, offset + 1n);
        receipts.push({ topic: message.topic, partition, offset: offset.toString() });
      }
    }
    return receipts;
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    if (this.closed) throw new Error('the event bus is closed');
    if (options.topics.length === 0) throw new Error('subscribe needs at least one topic');
    if (!options.groupId) throw new Error('subscribe needs a groupId');
    await this.connect();
    await this.knowTopics(options.topics);
    if (!options.fromBeginning) await this.startNewGroupAtEnd(options.groupId, options.topics);

    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 100,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 100, retries: 10 },
      partitionAssigners: [CoPartitionedAssigner],
    });
    const subscription = new KafkaSubscription(consumer, options, this, this.options.joinTimeoutMs ?? 30_000);
    this.subscriptions.add(subscription);
    await subscription.start();
    return subscription;
  }

  async consumerLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    await this.connect();
    return (await this.groupOffsets(groupId, topics)).map(({ topic, partition, committed, low, high }) => ({
      topic,
      partition,
      lag: Math.max(0, Number(high) - Number(committed ?? low)),
    }));
  }

  /** Per partition of `topics`: the group's committed offset (undefined if none), and the retained range. */
  private async groupOffsets(
    groupId: string,
    topics: readonly string[],
  ): Promise<Array<{ topic: string; partition: number; committed?: string; low: string; high: string }>> {
    const committed = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
    const out = [];
    for (const topic of topics) {
      const ofTopic = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const { partition, low, high } of await this.admin.fetchTopicOffsets(topic)) {
        const offset = ofTopic.find((p) => p.partition === partition)?.offset;
        out.push({ topic, partition, committed: offset === '-1' ? undefined : offset, low, high });
      }
    }
    return out;
  }

  async partitionCount(topic: string): Promise<number> {
    await this.connect();
    await this.knowTopics([topic]);
    return this.partitionCounts.get(topic)!;
  }

  /**
   * kafkajs only reads through a consumer group, so a range read joins a throwaway group (never committed
   * to), seeks each wanted partition to its start and ignores everything else.
   */
  async readRange(
    ranges: ReadRange[],
    onMessages: (messages: ConsumedMessage[]) => void | Promise<void>,
  ): Promise<void> {
    if (this.closed) throw new Error('the event bus is closed');
    await this.connect();
    const bounds = new Map<string, { start: bigint; end: bigint }>();
    for (const topic of new Set(ranges.map((r) => r.topic))) {
      const [offsets, byTime] = await Promise.all([
        this.admin.fetchTopicOffsets(topic),
        Promise.all(
          [...new Set(ranges.filter((r) => r.topic === topic).map((r) => r.fromTimestamp))].map(
            async (at) =>
              [
                at,
                at === undefined ? undefined : await this.admin.fetchTopicOffsetsByTimestamp(topic, at),
              ] as const,
          ),
        ),
      ]);
      const startsAt = new Map(byTime);
      for (const range of ranges.filter((r) => r.topic === topic)) {
        const partition = offsets.find((p) => p.partition === range.partition);
        if (!partition) throw new Error(`${topic} has no partition ${range.partition}`);
        const fromTime = startsAt.get(range.fromTimestamp)?.find((p) => p.partition === range.partition);
        const start = BigInt(fromTime?.offset ?? partition.low);
        const end = range.toOffset === undefined ? BigInt(partition.high) : BigInt(range.toOffset);
        if (start < end) bounds.set(`${topic}:${range.partition}`, { start, end });
      }
    }
    if (bounds.size === 0) return;

    const consumer = this.kafka.consumer({
      groupId: `crest-range-reader-${randomUUID()}`,
      // A range read's handler may hold a batch a long time (a rebuild); no partner waits on a rejoin.
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 100,
      allowAutoTopicCreation: false,
    });
    const remaining = new Set(bounds.keys());
    // Where each partition's read goes on. kafkajs keeps seeks in the group's offset manager, which a
    // rejoin replaces (a slow batch past the session timeout, a metadata change): the partitions then
    // restart at the group's default and, unsought, the read stalled at the end of the topic (CI, once).
    const next = new Map([...bounds].map(([tp, { start }]) => [tp, start]));
    const seekRemaining = () => {
      for (const tp of remaining)
        consumer.seek({ ...parseTopicPartition(tp), offset: next.get(tp)!.toString() });
    };
    consumer.on(consumer.events.GROUP_JOIN, seekRemaining);
    let failed: unknown;
    let lastProgress = Date.now();
    let watchdog: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve) => {
      const finish = () => remaining.size === 0 && resolve();
      watchdog = setInterval(() => {
        if (Date.now() - lastProgress < READ_RANGE_STALL_MS) return;
        failed ??= new Error(
          `readRange made no progress for ${READ_RANGE_STALL_MS} ms on ${[...remaining].join(', ')}`,
        );
        remaining.clear();
        finish();
      }, 1_000);
      void consumer.connect().then(
        async () => {
          // From the beginning: should a reset still slip past the seeks, it re-reads (filtered), never skips.
          await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))], fromBeginning: true });
          await consumer.run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const tp = `${batch.topic}:${batch.partition}`;
              const bound = bounds.get(tp);
              if (!bound || !remaining.has(tp)) return;
              lastProgress = Date.now();
              const from = next.get(tp)!; // each message once, even when a rejoin re-fetches
              const messages = batch.messages
                .filter((m) => BigInt(m.offset) >= from && BigInt(m.offset) < bound.end)
                .map((m) => toConsumedMessage(batch.topic, batch.partition, m));
              try {
                if (messages.length > 0) await onMessages(messages);
              } catch (error) {
                failed ??= error;
                remaining.clear();
                finish();
                return;
              }
              const last = BigInt(batch.lastOffset());
              if (last + 1n > from) next.set(tp, last + 1n);
              // Compaction leaves gaps, so "done" is reaching the end, not seeing the offset before it.
              if (last >= bound.end - 1n) {
                remaining.delete(tp);
                finish();
              }
            },
          });
          seekRemaining();
        },
        (error: unknown) => {
          failed ??= error;
          remaining.clear();
          finish();
        },
      );
    });
    try {
      await done;
    } finally {
      clearInterval(watchdog);
      await consumer.disconnect();
    }
    if (failed) throw failed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.connected) {
      await this.connected.catch(() => undefined);
      await Promise.all([this.producer.disconnect(), this.admin.disconnect()]);
    }
  }

  /** @internal */
  forget(subscription: KafkaSubscription): void {
    this.subscriptions.delete(subscription);
  }

  /** @internal */
  reportHandlerError(error: unknown, message: ConsumedMessage): void {
    this.options.onHandlerError?.(error, message);
  }

  private connect(): Promise<void> {
    this.connected ??= Promise.all([this.producer.connect(), this.admin.connect()]).then(() => undefined);
    return this.connected;
  }

  private async knowTopics(topics: readonly string[]): Promise<void> {
    const unknown = topics.filter((t) => !this.partitionCounts.has(t));
    if (unknown.length === 0) return;
    if (this.options.createTopics !== false) {
      await this.ensureTopics(
        unknown.map((name) => ({ name, partitions: this.options.defaultPartitions ?? 6 })),
      );
    } else {
      await this.refreshPartitionCounts(unknown);
    }
  }

  private async refreshPartitionCounts(topics: string[]): Promise<void> {
    const { topics: described } = await this.admin.fetchTopicMetadata({ topics });
    for (const topic of described) this.partitionCounts.set(topic.name, topic.partitions.length);
  }

  // kafkajs resolves "latest" lazily at the first fetch after joining, so a message published right after
  // a new group joins can fall before it. Committing the end offsets up front makes "from now" exact.
  private async startNewGroupAtEnd(groupId: string, topics: readonly string[]): Promise<void> {
    const committed = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
    for (const { topic, partitions } of committed) {
      if (partitions.some((p) => p.offset !== '-1')) continue;
      const ends = await this.admin.fetchTopicOffsets(topic);
      await this.admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.offset })),
      });
    }
  }

  /** @internal Where a group resumes each partition: its committed offset, else the start or the end. */
  async resumePositions(
    options: SubscriptionOptions,
    partitions: Array<{ topic: string; partition: number }>,
  ): Promise<PartitionPosition[]> {
    const wanted = new Set(partitions.map((p) => `${p.topic}:${p.partition}`));
    const offsets = await this.groupOffsets(options.groupId, [...new Set(partitions.map((p) => p.topic))]);
    return offsets
      .filter((p) => wanted.has(`${p.topic}:${p.partition}`))
      .map(({ topic, partition, committed, low, high }) => ({
        topic,
        partition,
        offset: committed ?? (options.fromBeginning ? low : high),
      }));
  }

  /** @internal */
  publishDeadLetters(messages: OutgoingMessage[]): Promise<PublishReceipt[]> {
    return this.publish(messages);
  }
}

class KafkaSubscription implements Subscription {
  private assigned: string[] = [];
  private readonly trackers = new Map<string, AckTracker>();
  /** Acknowledged positions not yet committed, by `topic:partition`. */
  private readonly toCommit = new Map<string, number>();
  private commitTimer?: NodeJS.Timeout;
  private committing: Promise<void> = Promise.resolve();
  private rebuilding: Promise<void> = Promise.resolve();
  private rebuildsPending = 0;
  private readonly closed = new AbortController();
  private closing?: Promise<void>;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: SubscriptionOptions,
    private readonly bus: KafkaEventBus,
    private readonly joinTimeoutMs: number,
  ) {}

  assignments(): string[] {
    return [...this.assigned].sort();
  }

  async start(): Promise<void> {
    const joined = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `consumer group ${this.options.groupId} did not assign partitions within ${this.joinTimeoutMs} ms`,
            ),
          ),
        this.joinTimeoutMs,
      );
      this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
        const assignment = event.payload.memberAssignment as Record<string, number[]>;
        const previous = new Set(this.assigned);
        this.assigned = Object.entries(assignment).flatMap(([topic, partitions]) =>
          partitions.map((p) => `${topic}:${p}`),
        );
        // Partitions this member lost may be processed elsewhere now; their trackers start over if they return.
        for (const tp of this.trackers.keys()) if (!this.assigned.includes(tp)) this.trackers.delete(tp);
        const lost = [...previous].filter((tp) => !this.assigned.includes(tp)).map(parseTopicPartition);
        const gained = this.assigned.filter((tp) => !previous.has(tp)).map(parseTopicPartition);
        // Deliveries wait for this (see eachBatch), so a gained partition's state is rebuilt before use.
        this.rebuildsPending++;
        this.rebuilding = this.rebuilding
          .then(async () => {
            if (lost.length > 0) this.options.onPartitionsRevoked?.(lost);
            if (gained.length === 0 || !this.options.onPartitionsAssigned) return;
            await rebuildGainedPartitions(
              this.options,
              () => this.bus.resumePositions(this.options, gained),
              this.closed.signal,
            );
          })
          .finally(() => this.rebuildsPending--);
        clearTimeout(timer);
        resolve();
      });
    });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning ?? false,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (batch.messages.length === 0) return;
        const tp = `${batch.topic}:${batch.partition}`;
        let tracker = this.trackers.get(tp);
        if (!tracker) {
          // Acks may come after the handler returns (a pipeline that acks once its sinks have written), so
          // a moved position is committed on a short timer as well as at the end of each batch.
          tracker = new AckTracker(Number(batch.firstOffset() ?? batch.messages[0]!.offset), (next) => {
            this.toCommit.set(tp, next);
            this.commitTimer ??= setTimeout(() => void this.commitAcknowledged(), 100);
          });
          this.trackers.set(tp, tracker);
        }
        await this.untilRebuilt(heartbeat);
        const messages = batch.messages.map((m) => toConsumedMessage(batch.topic, batch.partition, m));
        if (!isRunning() || isStale()) return;
        tracker.delivering(messages);
        await deliverPartitionBatch({
          options: this.options,
          topic: batch.topic,
          partition: batch.partition,
          messages,
          tracker,
          publish: (dead) => this.bus.publishDeadLetters(dead),
          onDeadLettered: () => undefined,
          onHandlerError: (error, message) => this.bus.reportHandlerError(error, message),
        });
        // Advance the fetch position past everything delivered; commit only what was acknowledged.
        for (const m of messages) resolveOffset(m.offset);
        await this.commitAcknowledged();
        await heartbeat();
      },
    });
    await joined;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed.abort();
      await this.consumer.stop();
      if (this.assigned.length > 0)
        this.options.onPartitionsRevoked?.(this.assigned.map(parseTopicPartition));
      this.assigned = [];
      await this.commitAcknowledged();
      await this.consumer.disconnect();
      this.bus.forget(this);
    })();
    return this.closing;
  }

  /** Waits for a running rebuild, heartbeating so the group does not give this member up meanwhile. */
  private async untilRebuilt(heartbeat: () => Promise<void>): Promise<void> {
    if (this.rebuildsPending === 0) return;
    let settled = false;
    const rebuilt = this.rebuilding.finally(() => (settled = true));
    while (!settled) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([rebuilt, new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
      clearTimeout(timer);
      if (!settled) await heartbeat();
    }
    await rebuilt;
  }

  /** Commits every acknowledged position not yet committed; one commit at a time, in order. */
  private commitAcknowledged(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    if (this.toCommit.size === 0) return this.committing;
    const offsets = [...this.toCommit].map(([tp, next]) => ({
      ...parseTopicPartition(tp),
      offset: String(next),
    }));
    this.toCommit.clear();
    // A commit for a partition that a rebalance just moved fails; its messages are redelivered to the new
    // owner (at-least-once), so the failure is not an error worth stopping for.
    this.committing = this.committing.then(() => this.consumer.commitOffsets(offsets).catch(() => undefined));
    return this.committing;
  }
}

const MAX_REQUEST_BYTES = 512 * 1024;

class TopicsNotReady extends Error {}

/** What a broker answers while a just-created topic is still being set up. */
function isTransientMetadataError(error: Error): boolean {
  const type = (error as Error & { type?: string }).type;
  return (
    error instanceof TopicsNotReady ||
    type === 'UNKNOWN_TOPIC_OR_PARTITION' ||
    type === 'LEADER_NOT_AVAILABLE' ||
    type === 'NOT_LEADER_FOR_PARTITION'
  );
}
const READ_RANGE_STALL_MS = 30_000;

function chunkBySize<T extends { message: OutgoingMessage }>(items: T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = (item.message.value?.length ?? 0) + (item.message.key?.length ?? 0) + 64;
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function toConsumedMessage(topic: string, partition: number, m: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null ? null : m.key.toString('utf8'),
    value: m.value ?? Buffer.alloc(0),
    tombstone: m.value === null,
    headers: decodeHeaders(m.headers),
    timestamp: Number(m.timestamp),
  };
}

function decodeHeaders(headers: IHeaders | undefined): MessageHeaders {
  const out: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = first === undefined ? '' : first.toString();
  }
  return out;
}
