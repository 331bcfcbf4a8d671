import { randomUUID } from 'node:crypto';

import { deadLetterTopicOf } from '@crest/event-schemas';
import {
  type ConsumedMessage,
  DeadLetterHeader,
  DECODE_ERROR_CODE_HEADER,
  type EventBus,
  type Subscription,
} from '@crest/messaging';

/** One dead-lettered message, as the dead-letters page shows it. */
export interface DeadLetter {
  /** `<dlq topic>:<partition>:<offset>`: where it sits in the DLQ, what a replay is keyed by. */
  id: string;
  dlqTopic: string;
  partition: number;
  offset: string;
  /** The topic it failed on, and where; a replay publishes it back there. */
  sourceTopic: string;
  sourcePartition: number | null;
  sourceOffset: string | null;
  /** The decode error code, or `processing` for a handler that kept failing. */
  code: string;
  reason: string;
  failedAt: string | null;
  key: string | null;
  /** The original headers (without the DLQ's own). */
  headers: Record<string, string>;
  value: Buffer;
}

export interface DeadLetterCounts {
  sourceTopic: string;
  dlqTopic: string;
  /** Every dead letter read since the index started (the DLQ's whole retained history). */
  total: number;
  /** How many of them the index holds (the newest). */
  kept: number;
  byCode: Record<string, number>;
}

export interface DeadLetterQuery {
  sourceTopic?: string;
  code?: string;
  /** Case-insensitive substring of the reason. */
  reasonContains?: string;
  limit: number;
}

const DLQ_HEADERS = new Set<string>([...Object.values(DeadLetterHeader), DECODE_ERROR_CODE_HEADER]);

/**
 * The dead letters of the given topics, read from the start of each `<topic>.dlq` with a consumer group of
 * this process alone (so every admin sees all of them) and kept in memory, the newest `keep` per topic.
 */
export class DeadLetterIndex {
  private readonly byTopic = new Map<string, { letters: DeadLetter[]; counts: DeadLetterCounts }>();
  private readonly byId = new Map<string, DeadLetter>();
  private subscription: Subscription | null = null;

  constructor(
    private readonly bus: EventBus,
    readonly sourceTopics: readonly string[],
    private readonly keep: number,
  ) {
    for (const sourceTopic of sourceTopics) {
      const dlqTopic = deadLetterTopicOf(sourceTopic);
      this.byTopic.set(dlqTopic, {
        letters: [],
        counts: { sourceTopic, dlqTopic, total: 0, kept: 0, byCode: {} },
      });
    }
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: `crest.admin.dead-letters.${randomUUID()}`,
      topics: [...this.byTopic.keys()],
      fromBeginning: true,
      eachBatch: async (batch, context) => {
        for (const message of batch.messages) this.add(message);
        context.ackAll();
      },
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
  }

  counts(): DeadLetterCounts[] {
    return [...this.byTopic.values()].map(({ counts }) => ({ ...counts, byCode: { ...counts.byCode } }));
  }

  /** Newest first. */
  list(query: DeadLetterQuery): DeadLetter[] {
    const needle = query.reasonContains?.toLowerCase();
    const out: DeadLetter[] = [];
    const topics = [...this.byTopic.values()].filter(
      ({ counts }) => !query.sourceTopic || counts.sourceTopic === query.sourceTopic,
    );
    const all = topics.flatMap(({ letters }) => letters);
    all.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? ''));
    for (const letter of all) {
      if (query.code && letter.code !== query.code) continue;
      if (needle && !letter.reason.toLowerCase().includes(needle)) continue;
      out.push(letter);
      if (out.length >= query.limit) break;
    }
    return out;
  }

  get(id: string): DeadLetter | undefined {
    return this.byId.get(id);
  }

  private add(message: ConsumedMessage): void {
    const topic = this.byTopic.get(message.topic);
    if (!topic) return;
    const headers = message.headers;
    const original: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (!DLQ_HEADERS.has(name)) original[name] = value;
    const sourcePartition = Number(headers[DeadLetterHeader.SourcePartition]);
    const letter: DeadLetter = {
      id: `${message.topic}:${message.partition}:${message.offset}`,
      dlqTopic: message.topic,
      partition: message.partition,
      offset: message.offset,
      sourceTopic: headers[DeadLetterHeader.SourceTopic] ?? topic.counts.sourceTopic,
      sourcePartition: Number.isInteger(sourcePartition) ? sourcePartition : null,
      sourceOffset: headers[DeadLetterHeader.SourceOffset] ?? null,
      code: headers[DECODE_ERROR_CODE_HEADER] ?? 'processing',
      reason: headers[DeadLetterHeader.Reason] ?? '(no reason recorded)',
      failedAt: headers[DeadLetterHeader.FailedAt] ?? new Date(message.timestamp).toISOString(),
      key: message.key,
      headers: original,
      value: message.value,
    };
    if (this.byId.has(letter.id)) return; // redelivered after a rebalance
    topic.letters.push(letter);
    this.byId.set(letter.id, letter);
    topic.counts.total++;
    topic.counts.byCode[letter.code] = (topic.counts.byCode[letter.code] ?? 0) + 1;
    if (topic.letters.length > this.keep) this.byId.delete(topic.letters.shift()!.id);
    topic.counts.kept = topic.letters.length;
  }
}
