import { type MarketplaceEvent } from '@crest/event-schemas';

/**
 * Where the ingestor also writes the raw events of each batch (the pull model's store). A batch is
 * acknowledged only after every event sink took it; redelivered batches must change nothing the second
 * time (sinks write idempotently, by event id).
 */
export interface MarketplaceEventSink {
  readonly name: string;
  write(events: readonly MarketplaceEvent[]): Promise<void>;
}
