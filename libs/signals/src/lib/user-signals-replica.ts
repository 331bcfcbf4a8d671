import { randomUUID } from 'node:crypto';

import { USER_SIGNALS_TOPIC } from '@crest/event-schemas';
import { type ConsumedMessage, type EventBus, type Subscription, waitForCatchUp } from '@crest/messaging';

import { mergeUserSignals, type UserSignals, type UserSignalsShare } from './user-signals';

export interface UserSignalsReplicaOptions {
  topic?: string;
  /** Every replica reads every partition, so each needs its own group. Default a random one per process. */
  groupId?: string;
  /** As the ingestor's store: engagement loses half its weight every this many ms. Default 1 hour. */
  halfLifeMs?: number;
  maxAffinities?: number;
}

export interface UserSignalsReplicaStats {
  applied: number;
  deleted: number;
  deadLettered: number;
}

/**
 * What a serving process knows of users, read from the compacted user signals topic the ingestors publish
 * (key `<userId>|<source>`, one share per writer): every share from the beginning, then followed; a
 * tombstone removes a share; a message that is not a share goes to the topic's DLQ with the reason.
 * `get` merges a user's shares as the ingestor's own store does.
 */
export class UserSignalsReplica {
  readonly topic: string;
  readonly groupId: string;
  readonly stats: UserSignalsReplicaStats = { applied: 0, deleted: 0, deadLettered: 0 };
  private readonly users = new Map<string, Map<string, UserSignalsShare>>();
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly options: UserSignalsReplicaOptions = {},
  ) {
    this.topic = options.topic ?? USER_SIGNALS_TOPIC;
    this.groupId = options.groupId ?? `crest-user-signals-replica-${randomUUID()}`;
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

  /** Resolves once every share the topic held has been applied; rejects after `timeoutMs`. */
  caughtUp(timeoutMs = 30_000, pollMs = 100): Promise<void> {
    return waitForCatchUp(this.bus, this.groupId, [this.topic], { timeoutMs, pollMs });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
  }

  /** Users with at least one share. */
  get size(): number {
    return this.users.size;
  }

  /** A user's signals at `now` (empty for a user never seen: a new user). */
  get(userId: string, now = Date.now()): UserSignals {
    return mergeUserSignals(userId, [...(this.users.get(userId)?.values() ?? [])], now, {
      halfLifeMs: this.options.halfLifeMs,
      maxAffinities: this.options.maxAffinities,
    });
  }

  private apply(message: ConsumedMessage): string | null {
    const key = message.key;
    const separator = key?.lastIndexOf('|') ?? -1;
    if (!key || separator <= 0 || separator === key.length - 1)
      return `user signals message key ${JSON.stringify(key)} is not "<userId>|<source>"`;
    const userId = key.slice(0, separator);
    const source = key.slice(separator + 1);
    if (message.tombstone) {
      const shares = this.users.get(userId);
      if (shares?.delete(source)) this.stats.deleted++;
      if (shares?.size === 0) this.users.delete(userId);
      return null;
    }
    let share: unknown;
    try {
      share = JSON.parse(message.value.toString('utf8'));
    } catch (error) {
      return `user signals message is not JSON: ${(error as Error).message}`;
    }
    const problem = shareProblem(share, userId, source);
    if (problem) return problem;
    let shares = this.users.get(userId);
    if (!shares) this.users.set(userId, (shares = new Map()));
    shares.set(source, share as UserSignalsShare);
    this.stats.applied++;
    return null;
  }
}

const RECORD_FIELDS = ['followedSellers', 'followedCategories', 'sellerScores', 'categoryScores'] as const;

function shareProblem(share: unknown, userId: string, source: string): string | null {
  if (typeof share !== 'object' || share === null || Array.isArray(share))
    return 'user signals message is not a share object';
  const s = share as Partial<UserSignalsShare>;
  if (s.userId !== userId || s.source !== source)
    return `share ${JSON.stringify(s.userId)}|${JSON.stringify(s.source)} differs from its key "${userId}|${source}"`;
  for (const field of RECORD_FIELDS) if (!isRecord(s[field])) return `share has no ${field} object`;
  // Shares published before blocks existed have none.
  if (s.blockedSellers !== undefined && !isRecord(s.blockedSellers))
    return 'share has a blockedSellers that is not an object';
  return null;
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
