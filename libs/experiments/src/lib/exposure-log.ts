import { EXPOSURES_TOPIC } from '@crest/event-schemas';
import { type EventBus } from '@crest/messaging';
import { LRUCache } from 'lru-cache';

/** One experiment assignment served to a user. */
export interface Exposure {
  experiment: string;
  variation: string;
  userId: string;
  sessionId: string;
  /** ISO time. */
  at: string;
}

export interface ExposureLogOptions {
  /**
   * Exposures waiting to be published; past it the oldest are dropped and counted. Default 10,000. The
   * batch whose publish is under way is held besides, so up to twice this while Kafka is away.
   */
  maxBuffered?: number;
  /** How often the buffer is published. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** Sessions × experiments remembered for de-duplication. Default 200,000. */
  rememberedAssignments?: number;
  topic?: string;
  clock?: () => number;
  /** Told when publishing starts failing and when it works again (once each per outage, not per flush). */
  logger?: { log(message: string): void; warn(message: string): void };
}

export interface ExposureLogStats {
  recorded: number;
  duplicates: number;
  published: number;
  dropped: number;
  publishFailures: number;
  buffered: number;
}

/**
 * Exposures per publish call: a few hundred KB, well inside one Kafka request. A larger batch would be split
 * into several requests by the bus, and a failure after the first would put back (and later send again)
 * exposures that had already gone out.
 */
const PUBLISH_CHUNK = 500;

/**
 * Publishes exposures to `discovery.exposures.v1`, once per user, experiment and session. Publishing never
 * blocks a request: exposures wait in a bounded buffer flushed on an interval; when the bus is down they
 * stay buffered (up to the bound) and go out once it is back. Drops are counted, never silent.
 */
export class ExposureLog {
  private readonly seen: LRUCache<string, true>;
  private buffer: Exposure[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;
  private readonly maxBuffered: number;
  private readonly topic: string;
  private readonly clock: () => number;
  private readonly logger?: ExposureLogOptions['logger'];
  /** Exposures in the publish under way: still held (a publish can retry for seconds while Kafka is away). */
  private publishing = 0;
  /** Failed flushes in a row: the current outage's length. */
  private failingFlushes = 0;
  readonly stats: ExposureLogStats = {
    recorded: 0,
    duplicates: 0,
    published: 0,
    dropped: 0,
    publishFailures: 0,
    buffered: 0,
  };

  constructor(
    private readonly bus: EventBus,
    options: ExposureLogOptions = {},
  ) {
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.topic = options.topic ?? EXPOSURES_TOPIC;
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger;
    this.seen = new LRUCache({ max: options.rememberedAssignments ?? 200_000 });
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1_000);
    this.timer.unref();
  }

  record(exposure: Omit<Exposure, 'at'>): void {
    const key = `${exposure.sessionId}|${exposure.userId}|${exposure.experiment}`;
    if (this.seen.has(key)) {
      this.stats.duplicates++;
      return;
    }
    this.seen.set(key, true);
    this.stats.recorded++;
    this.buffer.push({ ...exposure, at: new Date(this.clock()).toISOString() });
    this.trimToBound();
  }

  /** Publishes what is buffered; on failure it stays buffered for the next flush. */
  flush(): Promise<void> {
    this.flushing ??= this.publishBuffered().finally(() => (this.flushing = null));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async publishBuffered(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    let sent = 0;
    try {
      while (sent < batch.length) {
        this.publishing = batch.length - sent;
        this.trimToBound();
        const chunk = batch.slice(sent, sent + PUBLISH_CHUNK);
        await this.bus.publish(
          chunk.map((exposure) => ({
            topic: this.topic,
            key: exposure.userId,
            value: JSON.stringify(exposure),
          })),
        );
        sent += chunk.length;
        this.stats.published += chunk.length;
      }
      if (this.failingFlushes > 0)
        this.logger?.log(
          `exposures: publishing to ${this.topic} again after ${this.failingFlushes} failed attempts (${this.stats.dropped} dropped since start)`,
        );
      this.failingFlushes = 0;
    } catch (error) {
      this.stats.publishFailures++;
      if (this.failingFlushes++ === 0)
        this.logger?.warn(
          `exposures: cannot publish to ${this.topic} (${(error as Error).message}); keeping up to ${this.maxBuffered} buffered (the oldest dropped past that, counted) and retrying`,
        );
      // What did not go out goes back in front, in order; the bound still holds (the oldest go first).
      this.buffer = batch.slice(sent).concat(this.buffer);
    } finally {
      this.publishing = 0;
      this.trimToBound();
    }
  }

  /** Drops the oldest past the bound (counted) and reports what is held, the publish under way included. */
  private trimToBound(): void {
    const excess = this.buffer.length - this.maxBuffered;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.stats.dropped += excess;
    }
    this.stats.buffered = this.buffer.length + this.publishing;
  }
}
