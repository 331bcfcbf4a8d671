import { type MarketplaceEvent } from '@crest/event-schemas';
import { type SignalPipeline } from '@crest/signals';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The ingestor's Prometheus metrics, in their own registry (served at /metrics). */
export class IngestMetrics {
  readonly registry = new Registry();
  private readonly eventsByType = new Counter({
    name: 'crest_ingest_events_total',
    help: 'Events that reached the sinks, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly freshness = new Histogram({
    name: 'crest_ingest_freshness_seconds',
    help: 'From an event occurredAt to its doc acknowledged by every sink',
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });
  readonly sinkWrite = new Histogram({
    name: 'crest_ingest_sink_write_seconds',
    help: 'Time for one emission to be written by every sink',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly docsEmitted = new Counter({
    name: 'crest_ingest_docs_emitted_total',
    help: 'Livestream docs written to the sinks',
    registers: [this.registry],
  });
  readonly sinkErrors = new Counter({
    name: 'crest_ingest_sink_errors_total',
    help: 'Failed sink writes (retried on the next emission)',
    labelNames: ['sink'],
    registers: [this.registry],
  });

  constructor(pipeline: SignalPipeline) {
    const counters = pipeline.counters;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge(
      'crest_ingest_late_dropped_total',
      'Events dropped for arriving later than the allowed lateness',
      () => counters.late,
    );
    gauge(
      'crest_ingest_duplicates_total',
      'Events ignored as duplicates of an event id already applied',
      () => counters.duplicates,
    );
    gauge('crest_ingest_streams', 'Streams with state in this instance', () => pipeline.streamCount);
    gauge('crest_ingest_watermark_seconds', 'Newest event time seen (epoch seconds)', () =>
      Math.max(0, pipeline.watermark / 1000),
    );
  }

  durable(events: readonly MarketplaceEvent[], durableAt: number): void {
    for (const event of events) {
      this.eventsByType.inc({ type: event.type });
      this.freshness.observe(Math.max(0, durableAt - Date.parse(event.occurredAt)) / 1000);
    }
  }
}
