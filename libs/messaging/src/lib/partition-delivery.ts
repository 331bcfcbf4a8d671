import { ExponentialBackoff, handleAll, retry } from 'cockatiel';

import { toDeadLetter } from './dead-letter';
import {
  type BatchContext,
  type ConsumedMessage,
  isBatchSubscription,
  type MessageContext,
  type MessageHeaders,
  type OutgoingMessage,
  type PartitionPosition,
  type SubscriptionOptions,
} from './event-bus.port';

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_MAX_BATCH = 500;

/**
 * Moves a partition's committed position over the longest run of acknowledged messages, in delivery order
 * (offsets may have gaps on compacted topics). Shared by every adapter so "acknowledged" means the same.
 */
export class AckTracker {
  private readonly acked = new Set<number>();
  private pending: number[] = [];
  private pendingHead = 0;

  constructor(
    private committed: number,
    private readonly commit: (next: number) => void,
  ) {}

  /** The next offset a restarted member of the group would read. */
  get committedOffset(): number {
    return this.committed;
  }

  delivering(messages: ConsumedMessage[]): void {
    for (const message of messages) this.pending.push(Number(message.offset));
  }

  isAcked(message: ConsumedMessage): boolean {
    const offset = Number(message.offset);
    return offset < this.committed || this.acked.has(offset);
  }

  ack(message: ConsumedMessage): void {
    const offset = Number(message.offset);
    if (offset < this.committed || this.acked.has(offset)) return;
    this.acked.add(offset);
    let moved = false;
    while (this.pendingHead < this.pending.length && this.acked.has(this.pending[this.pendingHead]!)) {
      const done = this.pending[this.pendingHead++]!;
      this.acked.delete(done);
      this.committed = done + 1;
      moved = true;
    }
    if (this.pendingHead > 1024 && this.pendingHead > this.pending.length / 2) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    if (moved) this.commit(this.committed);
  }

  /** Retention dropped messages this member never saw: nothing before `offset` can be acknowledged now. */
  skipTo(offset: number): void {
    if (offset <= this.committed || this.pendingHead < this.pending.length) return;
    this.committed = offset;
    this.commit(offset);
  }
}

export interface PartitionBatchDelivery {
  options: SubscriptionOptions;
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  tracker: AckTracker;
  publish(messages: OutgoingMessage[]): Promise<unknown>;
  onDeadLettered(): void;
  onHandlerError(error: unknown, message: ConsumedMessage): void;
}

/**
 * Hands one partition's messages to the subscriber: per message or in batches, with retries, and with the
 * dead-letter route for what keeps failing. A failing batch is retried message by message, so one poison
 * message does not take its neighbours to the dead-letter topic.
 */
export async function deliverPartitionBatch(delivery: PartitionBatchDelivery): Promise<void> {
  const { options, topic, partition, messages, tracker } = delivery;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const deadLetter = async (message: ConsumedMessage, reason: string, details?: MessageHeaders) => {
    await delivery.publish([toDeadLetter(message, reason, details)]);
    delivery.onDeadLettered();
    tracker.ack(message);
  };
  const failed = async (message: ConsumedMessage, error: unknown) => {
    delivery.onHandlerError(error, message);
    const text = error instanceof Error ? error.message : String(error);
    await deadLetter(message, `handler failed after ${maxAttempts} attempts: ${text}`);
  };

  if (isBatchSubscription(options)) {
    const context: BatchContext = {
      ack: (message) => tracker.ack(message),
      ackAll: () => messages.forEach((m) => tracker.ack(m)),
      deadLetter,
    };
    const batchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
    for (let start = 0; start < messages.length; start += batchSize) {
      const chunk = messages.slice(start, start + batchSize);
      const error = await attempt(maxAttempts, () =>
        options.eachBatch({ topic, partition, messages: chunk }, context),
      );
      if (error === undefined) continue;
      for (const message of chunk.filter((m) => !tracker.isAcked(m))) {
        const single = { topic, partition, messages: [message] };
        const singleError = await attempt(maxAttempts, () => options.eachBatch(single, context));
        if (singleError !== undefined) await failed(message, singleError);
      }
    }
    return;
  }

  for (const message of messages) {
    const context: MessageContext = {
      ack: () => tracker.ack(message),
      deadLetter: (reason, details) => deadLetter(message, reason, details),
    };
    const error = await attempt(maxAttempts, () => options.eachMessage(message, context));
    if (error !== undefined) await failed(message, error);
  }
}

async function attempt(maxAttempts: number, run: () => Promise<void>): Promise<unknown> {
  let lastError: unknown;
  for (let i = 0; i < maxAttempts; i++) {
    try {
      await run();
      return undefined;
    } catch (error) {
      lastError = error ?? new Error('handler rejected without a reason');
    }
  }
  return lastError;
}

/**
 * Runs a subscription's `onPartitionsAssigned` for the partitions a member gained, retrying with backoff
 * (reported to `onRebuildError`) until it succeeds or `signal` aborts: a member must not deliver from a
 * partition whose state its subscriber could not rebuild.
 */
export async function rebuildGainedPartitions(
  options: SubscriptionOptions,
  gained: PartitionPosition[] | (() => Promise<PartitionPosition[]>),
  signal: AbortSignal,
): Promise<void> {
  const rebuild = options.onPartitionsAssigned;
  if (!rebuild || (Array.isArray(gained) && gained.length === 0)) return;
  const policy = retry(handleAll, {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 10_000 }),
  });
  policy.onFailure(({ reason }) => {
    if ('error' in reason && !signal.aborted) options.onRebuildError?.(reason.error);
  });
  try {
    // Where the group resumes is looked up inside the retry too: it is a broker call that can fail.
    await policy.execute(
      async () => rebuild.call(options, Array.isArray(gained) ? gained : await gained()),
      signal,
    );
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

/** `topic:partition`, as adapters key their per-partition state, back into its parts. */
export function parseTopicPartition(tp: string): { topic: string; partition: number } {
  const separator = tp.lastIndexOf(':');
  return { topic: tp.slice(0, separator), partition: Number(tp.slice(separator + 1)) };
}
