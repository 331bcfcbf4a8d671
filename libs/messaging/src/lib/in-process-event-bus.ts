import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import {
  type ConsumedMessage,
  type EventBus,
  isBatchSubscription,
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
  DEFAULT_MAX_BATCH,
  deliverPartitionBatch,
  parseTopicPartition,
  rebuildGainedPartitions,
} from './partition-delivery';

export interface InProcessEventBusOptions {
  /** Partitions of a topic created implicitly by publish or subscribe. Default 6. */
  defaultPartitions?: number;
  /**
   * Messages kept per partition before the oldest are dropped (Kafka's retention). A group whose position
   * falls behind the retained range resumes at the oldest kept message and `stats().skippedByRetention`
   * counts what it missed. Default 200,000.
   */
  retentionPerPartition?: number;
  /** Clock for message timestamps. */
  now?: () => number;
  /** Called when a handler failed and its message went to the dead-letter topic. */
  onHandlerError?: (error: unknown, message: ConsumedMessage) => void;
}

export interface InProcessBusStats {
  published: number;
  delivered: number;
  deadLettered: number;
  handlerErrors: number;
  skippedByRetention: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * One append-only partition log. Offsets only grow; retention drops the oldest messages, and on a compacted
 * topic it first drops every message superseded by a newer one with the same key (Kafka's log cleaner).
 */
class PartitionLog {
  private messages: ConsumedMessage[] = [];
  private offsets: number[] = [];
  private head = 0;
  private compactAt: number;
  private waiters: Array<() => void> = [];
  nextOffset = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly retention: number,
    readonly compacted: boolean,
  ) {
    this.compactAt = retention;
  }

  /** Offset of the oldest retained message (equal to nextOffset when the log is empty). */
  get startOffset(): number {
    return this.head < this.offsets.length ? this.offsets[this.head]! : this.nextOffset;
  }

  append(message: Pick<ConsumedMessage, 'key' | 'value' | 'tombstone' | 'headers' | 'timestamp'>): number {
    const offset = this.nextOffset++;
    this.messages.push({ ...message, topic: this.topic, partition: this.partition, offset: String(offset) });
    this.offsets.push(offset);
    if (this.offsets.length - this.head > (this.compacted ? this.compactAt : this.retention)) this.cleanUp();
    this.wakeAll();
    return offset;
  }

  /** Up to `max` retained messages at or after `offset`. */
  read(offset: number, max: number): ConsumedMessage[] {
    let low = this.head;
    let high = this.offsets.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.offsets[mid]! < offset) low = mid + 1;
      else high = mid;
    }
    return this.messages.slice(low, Math.min(low + max, this.messages.length));
  }

  /** Offset of the first retained message appended at or after `timestamp` (nextOffset if none). */
  offsetAtTime(timestamp: number): number {
    let low = this.head;
    let high = this.messages.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.messages[mid]!.timestamp < timestamp) low = mid + 1;
      else high = mid;
    }
    return low < this.messages.length ? this.offsets[low]! : this.nextOffset;
  }

  waitForMore(offset: number): Promise<void> {
    if (offset < this.nextOffset) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  private cleanUp(): void {
    if (this.compacted) {
      const live = this.messages.slice(this.head);
      const newestByKey = new Map<string | null, number>();
      live.forEach((m, i) => newestByKey.set(m.key, i));
      // A tombstone stays only while it is the newest message of its key, so readers still see the delete.
      this.messages = live.filter((m, i) => m.key !== null && newestByKey.get(m.key) === i);
      this.offsets = this.messages.map((m) => Number(m.offset));
      this.head = 0;
      // A compacted log never drops a key's latest value; with many keys, clean up less often instead.
      this.compactAt = Math.max(this.retention, this.messages.length * 2);
      return;
    }
    this.head = this.offsets.length - this.retention;
    // Reclaim the dead prefix in bulk so retention stays amortised O(1) per message.
    if (this.head > 4096 && this.head > this.offsets.length / 2) {
      this.messages = this.messages.slice(this.head);
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
  }
}

interface GroupState {
  members: Member[];
  /** Rebalances of a group run one at a time. */
  rebalancing: Promise<void>;
  /** Committed position per `topic:partition`: the next offset to read. */
  committed: Map<string, number>;
}

/**
 * In-process implementation of the EventBus port for embedded mode and tests. It keeps Kafka's model:
 * topics with partitions, keys hashed with Kafka's murmur2 partitioner (the same partition a real Kafka
 * producer would pick), per-partition order, consumer groups that split partitions and rebalance when
 * members join or leave, committed positions that only move over acknowledged messages, retention, and
 * dead-letter topics. Messages live in memory only.
 */
export class InProcessEventBus implements EventBus {
  private readonly topics = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, GroupState>();
  private readonly partitionOf = createKeyPartitioner();
  private readonly defaultPartitions: number;
  private readonly retention: number;
  private readonly now: () => number;
  private closed = false;
  private readonly counters: InProcessBusStats = {
    published: 0,
    delivered: 0,
    deadLettered: 0,
    handlerErrors: 0,
    skippedByRetention: 0,
  };

  constructor(private readonly options: InProcessEventBusOptions = {}) {
    this.defaultPartitions = options.defaultPartitions ?? 6;
    this.retention = options.retentionPerPartition ?? 200_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.defaultPartitions) || this.defaultPartitions < 1) {
      throw new Error(`defaultPartitions must be a positive integer, got ${this.defaultPartitions}`);
    }
    if (!Number.isInteger(this.retention) || this.retention < 1) {
      throw new Error(`retentionPerPartition must be a positive integer, got ${this.retention}`);
    }
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    for (const spec of specs) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new Error(`topic ${spec.name}: partitions must be a positive integer, got ${spec.partitions}`);
      }
      if (!this.topics.has(spec.name)) this.createTopic(spec.name, spec.partitions, spec.compacted ?? false);
    }
  }

  async publish(messages: OutgoingMessage[]): Promise<PublishReceipt[]> {
    this.assertOpen();
    const receipts: PublishReceipt[] = [];
    for (const message of messages) {
      const logs = this.logsOf(message.topic);
      const partition = this.partitionOf(message.topic, message.key, logs.length);
      const log = logs[partition]!;
      const value =
        message.value === null
          ? EMPTY
          : typeof message.value === 'string'
            ? Buffer.from(message.value)
            : message.value;
      const offset = log.append({
        key: message.key,
        value,
        tombstone: message.value === null,
        headers: { ...message.headers },
        timestamp: this.now(),
      });
      receipts.push({ topic: message.topic, partition, offset: String(offset) });
    }
    this.counters.published += messages.length;
    return receipts;
  }

  async subscribe(options: SubscriptionOptions): Promise<Subscription> {
    this.assertOpen();
    if (options.topics.length === 0) throw new Error('subscribe needs at least one topic');
    if (!options.groupId) throw new Error('subscribe needs a groupId');
    options.topics.forEach((topic) => this.logsOf(topic));
    const group = this.groupOf(options.groupId);
    const member = new Member(this, group, options);
    group.members.push(member);
    await this.rebalance(group);
    return member;
  }

  async readRange(
    ranges: ReadRange[],
    onMessages: (messages: ConsumedMessage[]) => void | Promise<void>,
  ): Promise<void> {
    this.assertOpen();
    for (const range of ranges) {
      const log = this.logsOf(range.topic)[range.partition];
      if (!log) throw new Error(`${range.topic} has no partition ${range.partition}`);
      const end = range.toOffset === undefined ? log.nextOffset : Number(range.toOffset);
      let position =
        range.fromTimestamp === undefined ? log.startOffset : log.offsetAtTime(range.fromTimestamp);
      while (position < end) {
        const messages = log.read(position, DEFAULT_MAX_BATCH).filter((m) => Number(m.offset) < end);
        if (messages.length === 0) break;
        await onMessages(messages);
        position = Number(messages[messages.length - 1]!.offset) + 1;
      }
    }
  }

  async consumerLag(groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
    return topics.flatMap((topic) =>
      this.logsOf(topic).map((log) => {
        const committed = this.committedOffset(groupId, topic, log.partition) ?? log.startOffset;
        return { topic, partition: log.partition, lag: Math.max(0, log.nextOffset - committed) };
      }),
    );
  }

  async partitionCount(topic: string): Promise<number> {
    return this.logsOf(topic).length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const members = [...this.groups.values()].flatMap((g) => g.members);
    await Promise.all(members.map((m) => m.close()));
  }

  stats(): InProcessBusStats {
    return { ...this.counters };
  }

  /** Committed position of a group on a partition (the next offset it will read), for tests and admin. */
  committedOffset(groupId: string, topic: string, partition: number): number | undefined {
    return this.groups.get(groupId)?.committed.get(`${topic}:${partition}`);
  }

  /** End offset of a partition (the offset the next message will get). */
  endOffset(topic: string, partition: number): number {
    return this.logsOf(topic)[partition]?.nextOffset ?? 0;
  }

  partitionsOf(topic: string): number {
    return this.logsOf(topic).length;
  }

  // ---- used by Member ----

  /** @internal */
  log(topic: string, partition: number): PartitionLog {
    return this.logsOf(topic)[partition]!;
  }

  /** @internal */
  rebalance(group: GroupState): Promise<void> {
    group.rebalancing = group.rebalancing.then(() => this.assignPartitions(group));
    return group.rebalancing;
  }

  private async assignPartitions(group: GroupState): Promise<void> {
    const active = group.members.filter((m) => !m.leaving);
    const byTopic = new Map<string, Member[]>();
    for (const member of active) {
      for (const topic of member.options.topics) byTopic.set(topic, [...(byTopic.get(topic) ?? []), member]);
    }
    const next = new Map<Member, Set<string>>(active.map((m) => [m, new Set<string>()]));
    for (const [topic, members] of byTopic) {
      const partitions = this.logsOf(topic).length;
      for (let p = 0; p < partitions; p++) next.get(members[p % members.length]!)!.add(`${topic}:${p}`);
    }
    // Revoke first and wait for in-flight work, so no partition is ever processed by two members at once.
    await Promise.all(active.map((m) => m.revokeExcept(next.get(m)!)));
    await Promise.all(active.map((m) => m.assign(next.get(m)!)));
  }

  /** @internal */
  count(counter: keyof InProcessBusStats, by = 1): void {
    this.counters[counter] += by;
  }

  /** @internal */
  reportHandlerError(error: unknown, message: ConsumedMessage): void {
    this.options.onHandlerError?.(error, message);
  }

  private groupOf(groupId: string): GroupState {
    let group = this.groups.get(groupId);
    if (!group) {
      group = { members: [], committed: new Map(), rebalancing: Promise.resolve() };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private logsOf(topic: string): PartitionLog[] {
    return this.topics.get(topic) ?? this.createTopic(topic, this.defaultPartitions, false);
  }

  private createTopic(name: string, partitions: number, compacted: boolean): PartitionLog[] {
    if (!name || name.length > 249 || !/^[a-zA-Z0-9._-]+$/.test(name)) {
      throw new Error(`invalid topic name "${name}": use 1-249 characters of [a-zA-Z0-9._-]`);
    }
    const logs = Array.from(
      { length: partitions },
      (_, p) => new PartitionLog(name, p, this.retention, compacted),
    );
    this.topics.set(name, logs);
    return logs;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event bus is closed');
  }
}

/** One subscriber in a group: runs one delivery loop per owned partition. */
class Member implements Subscription {
  leaving = false;
  private readonly closed = new AbortController();
  private readonly loops = new Map<string, { stop: () => void; done: Promise<void> }>();

  constructor(
    private readonly bus: InProcessEventBus,
    private readonly group: GroupState,
    readonly options: SubscriptionOptions,
  ) {}

  assignments(): string[] {
    return [...this.loops.keys()].sort();
  }

  async close(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    this.closed.abort();
    await this.revokeExcept(new Set());
    this.group.members = this.group.members.filter((m) => m !== this);
    await this.bus.rebalance(this.group);
  }

  async revokeExcept(keep: Set<string>): Promise<void> {
    const revoked = [...this.loops].filter(([tp]) => !keep.has(tp));
    revoked.forEach(([, loop]) => loop.stop());
    await Promise.all(revoked.map(([, loop]) => loop.done));
    revoked.forEach(([tp]) => this.loops.delete(tp));
    if (revoked.length > 0)
      this.options.onPartitionsRevoked?.(revoked.map(([tp]) => parseTopicPartition(tp)));
  }

  async assign(partitions: Set<string>): Promise<void> {
    const gained = [...partitions]
      .filter((tp) => !this.loops.has(tp))
      .map((tp) => {
        const { topic, partition } = parseTopicPartition(tp);
        return { log: this.bus.log(topic, partition), key: tp };
      });
    const positions: PartitionPosition[] = gained.map(({ log }) => ({
      topic: log.topic,
      partition: log.partition,
      offset: String(this.startPosition(log)),
    }));
    await rebuildGainedPartitions(this.options, positions, this.closed.signal);
    if (this.leaving) return;
    for (const { log, key: tp } of gained) {
      let stopped = false;
      const loop = {
        stop: () => {
          stopped = true;
          log.wakeAll();
        },
        done: Promise.resolve(),
      };
      loop.done = this.run(log, () => stopped);
      this.loops.set(tp, loop);
    }
  }

  private startPosition(log: PartitionLog): number {
    const committed = this.group.committed.get(`${log.topic}:${log.partition}`);
    return committed ?? (this.options.fromBeginning ? log.startOffset : log.nextOffset);
  }

  private async run(log: PartitionLog, isStopped: () => boolean): Promise<void> {
    const key = `${log.topic}:${log.partition}`;
    const committed = this.group.committed.get(key);
    let position = this.startPosition(log);
    const tracker = new AckTracker(position, (next) => this.group.committed.set(key, next));
    if (committed === undefined) this.group.committed.set(key, position);
    const batchSize = isBatchSubscription(this.options)
      ? (this.options.maxBatchSize ?? DEFAULT_MAX_BATCH)
      : 1;

    while (!isStopped()) {
      await log.waitForMore(position);
      if (isStopped()) break;
      if (position < log.startOffset) {
        if (!log.compacted) this.bus.count('skippedByRetention', log.startOffset - position);
        tracker.skipTo(log.startOffset);
        position = log.startOffset;
      }
      const messages = log.read(position, batchSize);
      if (messages.length === 0) continue;
      position = Number(messages[messages.length - 1]!.offset) + 1;
      tracker.delivering(messages);
      await deliverPartitionBatch({
        options: this.options,
        topic: log.topic,
        partition: log.partition,
        messages,
        tracker,
        publish: (dead) => this.bus.publish(dead),
        onDeadLettered: () => this.bus.count('deadLettered'),
        onHandlerError: (error, message) => {
          this.bus.count('handlerErrors');
          this.bus.reportHandlerError(error, message);
        },
      });
      this.bus.count('delivered', messages.length);
      // Let other partitions' loops and producers run between batches, as network I/O would.
      await yieldToEventLoop();
    }
  }
}
