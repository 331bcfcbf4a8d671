import { type PartitionLag } from '@crest/messaging';

import { type Scrape, type TargetStatus } from '../telemetry/metrics-history';
import { histogramIncrease, histogramQuantile, increase, windowEnds } from '../telemetry/metrics-queries';

export interface FreshnessPoint {
  /** End of the interval, ISO time. */
  at: string;
  /** Events made durable in the interval. */
  events: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface PipelineView {
  ingestor: TargetStatus;
  windowSeconds: number | null;
  /** Over the window, by event type, busiest first. */
  eventsPerSecond: Array<{ type: string; perSecond: number }>;
  totalEventsPerSecond: number | null;
  docsPerSecond: number | null;
  freshness: { windowP50Ms: number | null; windowP99Ms: number | null; series: FreshnessPoint[] };
  lag: { groupId: string; partitions: PartitionLag[]; total: number | null; error: string | null };
  /** As the ingestor counted them since it started, by source topic and decode error code. */
  deadLetteredByIngestor: Array<{ topic: string; code: string; count: number }>;
}

const WINDOW_MS = 60_000;
const FRESHNESS = 'crest_ingest_freshness_seconds';
const toMs = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 10_000) / 10);
const perSecond = (value: number, seconds: number) => Math.round((value / seconds) * 10) / 10;

/** The pipeline page from the ingestor's scrapes (oldest first) and the ingest group's lag. */
export function pipelineView(
  ingestor: TargetStatus,
  scrapes: readonly Scrape[],
  lag: PipelineView['lag'],
): PipelineView {
  const window = windowEnds(scrapes, WINDOW_MS);
  const events = window ? increase(window.now, window.then, 'crest_ingest_events_total', ['type']) : null;
  const eventsPerSecond = events
    ? [...events.values()]
        .map(({ labels, value }) => ({ type: labels['type']!, perSecond: perSecond(value, window!.seconds) }))
        .sort((a, b) => b.perSecond - a.perSecond || a.type.localeCompare(b.type))
    : [];
  const docs = window ? increase(window.now, window.then, 'crest_ingest_docs_emitted_total', []) : null;
  const windowFreshness = window
    ? histogramIncrease(window.now, window.then, FRESHNESS, []).values().next().value?.value
    : undefined;

  const series: FreshnessPoint[] = [];
  for (let i = 1; i < scrapes.length; i++) {
    const histogram = histogramIncrease(scrapes[i]!, scrapes[i - 1]!, FRESHNESS, [])
      .values()
      .next().value?.value;
    series.push({
      at: new Date(scrapes[i]!.at).toISOString(),
      events: histogram?.count ?? 0,
      p50Ms: histogram ? toMs(histogramQuantile(0.5, histogram)) : null,
      p99Ms: histogram ? toMs(histogramQuantile(0.99, histogram)) : null,
    });
  }
  const latest = scrapes.at(-1);
  const deadLettered = latest
    ? [
        ...increase(latest, { at: 0, samples: [] }, 'crest_ingest_dead_lettered_total', [
          'topic',
          'code',
        ]).values(),
      ].map(({ labels, value }) => ({ topic: labels['topic']!, code: labels['code']!, count: value }))
    : [];
  return {
    ingestor,
    windowSeconds: window ? Math.round(window.seconds) : null,
    eventsPerSecond,
    totalEventsPerSecond:
      events && window
        ? perSecond(
            [...events.values()].reduce((sum, e) => sum + e.value, 0),
            window.seconds,
          )
        : null,
    docsPerSecond: docs && window ? perSecond(docs.values().next().value?.value ?? 0, window.seconds) : null,
    freshness: {
      windowP50Ms: windowFreshness ? toMs(histogramQuantile(0.5, windowFreshness)) : null,
      windowP99Ms: windowFreshness ? toMs(histogramQuantile(0.99, windowFreshness)) : null,
      series,
    },
    lag,
    deadLetteredByIngestor: deadLettered.sort((a, b) => b.count - a.count),
  };
}
