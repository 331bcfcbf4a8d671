import { type MarketplaceEvent } from '@crest/event-schemas';
import { type EventBus } from '@crest/messaging';
import { scrapeGauge } from '@crest/platform';
import { type RebuildReport, type SignalPipeline } from '@crest/signals';
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
    help: 'Time for one doc write of one sink (each sink writes on its own)',
    labelNames: ['sink'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly docsEmitted = new Counter({
    name: 'crest_ingest_docs_emitted_total',
    help: 'Livestream docs handed to the sinks',
    registers: [this.registry],
  });
  readonly sinkErrors = new Counter({
    name: 'crest_ingest_sink_errors_total',
    help: 'Failed sink writes (retried on the next emission)',
    labelNames: ['sink'],
    registers: [this.registry],
  });

  readonly deadLettered = new Counter({
    name: 'crest_ingest_dead_lettered_total',
    help: 'Messages that did not decode, sent to <topic>.dlq, by topic and decode error code',
    labelNames: ['topic', 'code'],
    registers: [this.registry],
  });
  private readonly rebuilds = new Histogram({
    name: 'crest_ingest_rebuild_seconds',
    help: 'Time to rebuild the state of partitions gained at start or in a rebalance',
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly replayed = new Counter({
    name: 'crest_ingest_replayed_events_total',
    help: 'Events read back from the retained window to rebuild state',
    registers: [this.registry],
  });
  readonly rebuildErrors = new Counter({
    name: 'crest_ingest_rebuild_errors_total',
    help: 'Failed rebuild attempts (each is retried before the partitions are processed)',
    registers: [this.registry],
  });

  constructor(pipeline: SignalPipeline, lag?: { bus: EventBus; groupId: string; topics: readonly string[] }) {
    if (lag) {
      new Gauge({
        name: 'crest_ingest_consumer_lag',
        help: 'Messages not yet committed by the ingest group, per partition',
        labelNames: ['topic', 'partition'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const p of await lag.bus.consumerLag(lag.groupId, lag.topics)) {
            this.set({ topic: p.topic, partition: String(p.partition) }, p.lag);
          }
        },
      });
    }
    const counters = pipeline.counters;
    const gauge = (name: string, help: string, read: () => number) =>
      scrapeGauge(this.registry, name, help, read);
    // applied + late + duplicates accounts for every event that decoded; dead letters for the rest.
    gauge(
      'crest_ingest_events_applied_total',
      'Decoded events folded into state (user-scoped ones too), redeliveries included',
      () => counters.applied,
    );
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
    gauge(
      'crest_ingest_redelivered_total',
      'Events delivered again after a restart or rebalance that the restored docs already held',
      () => counters.redelivered,
    );
    gauge('crest_ingest_streams', 'Streams with state in this instance', () => pipeline.streamCount);
    gauge('crest_ingest_watermark_seconds', 'Newest event time seen (epoch seconds)', () =>
      Math.max(0, pipeline.watermark / 1000),
    );
  }

  rebuilt(report: RebuildReport): void {
    this.rebuilds.observe(report.durationMs / 1000);
    this.replayed.inc(report.replayedEvents);
  }

  durable(events: readonly MarketplaceEvent[], durableAt: number): void {
    for (const event of events) {
      this.eventsByType.inc({ type: event.type });
      this.freshness.observe(Math.max(0, durableAt - Date.parse(event.occurredAt)) / 1000);
    }
  }
}
