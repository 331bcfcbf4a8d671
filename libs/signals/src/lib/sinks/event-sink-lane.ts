import { type MarketplaceEvent } from '@crest/event-schemas';

import { type MarketplaceEventSink } from './event-sink.port';

export interface EventSinkLaneOptions {
  /** Most events in one write (default 20,000): what piled up behind an outage goes out in parts. */
  maxEventsPerWrite?: number;
  /** Called when a write failed; it is retried, backing off to `maxBackoffMs`, until the sink takes it. */
  onError?: (error: unknown, sink: string) => void;
  maxBackoffMs?: number;
}

interface Handed {
  events: readonly MarketplaceEvent[];
  taken: () => void;
}

/**
 * One event sink's writes, one at a time. Consumed batches arrive per partition, many a second; handed
 * straight to a store, each became its own transaction, and on a two-core machine the ingestor's event
 * loop spent a large share of its time in those writes (43 % of its samples in PostgreSQL socket writes at
 * 300 events/s), holding up the state topic's docs and so the feed's freshness. Here, batches handed over
 * while a write is out wait and go out together in the next one. Each batch's promise resolves once the
 * write that carried it succeeded; a failed write is retried until taken, so nothing is skipped or lost
 * (sinks write idempotently by event id, and order across batches does not matter to them).
 */
export class EventSinkLane {
  private queue: Handed[] = [];
  private writing = false;

  constructor(
    private readonly sink: MarketplaceEventSink,
    private readonly options: EventSinkLaneOptions = {},
  ) {}

  get name(): string {
    return this.sink.name;
  }

  /** Resolves once the sink has taken `events` (never rejects: failures are retried). */
  write(events: readonly MarketplaceEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return new Promise((taken) => {
      this.queue.push({ events, taken });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    const limit = this.options.maxEventsPerWrite ?? 20_000;
    while (this.queue.length > 0) {
      // Whole batches only, at least one: a batch's promise is one write's outcome.
      let count = 0;
      let batches = 0;
      while (
        batches < this.queue.length &&
        (batches === 0 || count + this.queue[batches]!.events.length <= limit)
      )
        count += this.queue[batches++]!.events.length;
      const taking = this.queue.splice(0, batches);
      await this.writeUntilTaken(taking.length === 1 ? taking[0]!.events : taking.flatMap((h) => h.events));
      for (const handed of taking) handed.taken();
    }
    this.writing = false;
  }

  // An unavailable store must not lose events or skip them: the batches stay unacknowledged while we retry.
  private async writeUntilTaken(events: readonly MarketplaceEvent[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sink.write(events);
        return;
      } catch (error) {
        this.options.onError?.(error, this.sink.name);
        const backoff = Math.min(this.options.maxBackoffMs ?? 5_000, 100 * 2 ** attempt);
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }
}
