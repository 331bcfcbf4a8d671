import { randomUUID } from 'node:crypto';

import { LIVESTREAM_STATE_TOPIC } from '@crest/event-schemas';
import { type ConsumedMessage, type EventBus, type Subscription, waitForCatchUp } from '@crest/messaging';
import { DOC_VERSION_HEADER, type LivestreamDoc } from '@crest/signals';

import { type LivestreamIndex } from './livestream-index';

export interface StateTopicReplicaOptions {
  topic?: string;
  /**
   * Every replica reads every partition, so each needs its own consumer group. Default
   * `crest-livestream-replica-<random>`; a stable id per instance resumes from its committed position after a
   * restart instead of replaying the topic (the index starts empty either way, so keep the default unless
   * the index outlives the process).
   */
  groupId?: string;
  /** How often `caughtUp` checks the lag. Default 100 ms. */
  pollMs?: number;
}

export interface ReplicaStats {
  applied: number;
  /** Docs older than the one held (redeliveries, reordering across a producer restart). */
  stale: number;
  deleted: number;
  deadLettered: number;
}

/**
 * Keeps a LivestreamIndex equal to the compacted livestream state topic: reads it from the beginning (the
 * whole live set), then follows it. A tombstone deletes the stream; a doc whose version header is not newer
 * than the one held is skipped without parsing. A message that is not a doc goes to the topic's DLQ with the
 * reason; nothing is dropped silently.
 */
export class StateTopicReplica {
  readonly topic: string;
  readonly groupId: string;
  readonly stats: ReplicaStats = { applied: 0, stale: 0, deleted: 0, deadLettered: 0 };
  private subscription: Subscription | null = null;
  private readonly pollMs: number;

  constructor(
    private readonly bus: EventBus,
    private readonly index: LivestreamIndex,
    options: StateTopicReplicaOptions = {},
  ) {
    this.topic = options.topic ?? LIVESTREAM_STATE_TOPIC;
    this.groupId = options.groupId ?? `crest-livestream-replica-${randomUUID()}`;
    this.pollMs = options.pollMs ?? 100;
  }

  async start(): Promise<void> {
    if (this.subscription) return;
    this.subscription = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [this.topic],
      fromBeginning: true,
      maxBatchSize: 2_000,
      eachBatch: async (batch, context) => {
        for (const message of batch.messages) {
          const problem = this.apply(message);
          if (problem) {
            this.stats.deadLettered++;
            await context.deadLetter(message, problem);
          } else {
            context.ack(message);
          }
        }
      },
    });
  }

  /**
   * Resolves once the replica has applied everything the topic held when it was called (lag 0 on every
   * partition); rejects after `timeoutMs`. Serving should wait for this, or answer from a fallback until then.
   */
  caughtUp(timeoutMs = 30_000): Promise<void> {
    return waitForCatchUp(this.bus, this.groupId, [this.topic], { timeoutMs, pollMs: this.pollMs });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
  }

  /** Applies one message; returns why it is not a doc, or null. */
  private apply(message: ConsumedMessage): string | null {
    const id = message.key;
    if (id === null || id.length === 0) return 'state message without a key (the livestream id)';
    if (message.tombstone) {
      this.index.delete(id);
      this.stats.deleted++;
      return null;
    }
    const headerVersion = Number(message.headers[DOC_VERSION_HEADER]);
    const held = this.index.get(id);
    if (held && Number.isFinite(headerVersion) && headerVersion < held.version) {
      this.stats.stale++;
      return null;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(message.value.toString('utf8'));
    } catch (error) {
      return `state message is not JSON: ${(error as Error).message}`;
    }
    const problem = docProblem(doc, id);
    if (problem) return problem;
    if (this.index.upsert(doc as LivestreamDoc)) this.stats.applied++;
    else this.stats.stale++;
    return null;
  }
}

// The fields the index and the strategies read; the ingestor wrote the rest.
function docProblem(doc: unknown, key: string): string | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return 'state message is not a doc object';
  const d = doc as Partial<LivestreamDoc>;
  if (d.livestreamId !== key)
    return `doc livestreamId ${JSON.stringify(d.livestreamId)} differs from key "${key}"`;
  if (typeof d.version !== 'number' || !Number.isFinite(d.version)) return 'doc has no numeric version';
  // Null until the stream's first status event: engagement can arrive before it.
  if (typeof d.status !== 'string' && d.status !== null) return 'doc has no status (string or null)';
  if (!Array.isArray(d.categoryIds)) return 'doc has no categoryIds array';
  if (typeof d.seller !== 'object' || d.seller === null) return 'doc has no seller features';
  if (typeof d.momentum !== 'number' || typeof d.hotness !== 'number') return 'doc has no momentum/hotness';
  return null;
}
