import { Counter, Histogram, Registry } from 'prom-client';

import { type Scrape } from '../telemetry/metrics-history';
import { parsePrometheusText } from '../telemetry/prometheus-text';
import { pipelineView } from './pipeline-view';

const UP = { job: 'event-ingestor', url: 'http://i', up: true, lastScrapeAt: null, lastError: null };
const NO_LAG = { groupId: 'g', partitions: [], total: 0, error: null };

describe('the pipeline view, from event-ingestor /metrics scrapes', () => {
  const registry = new Registry();
  const events = new Counter({
    name: 'crest_ingest_events_total',
    help: 'c',
    labelNames: ['type'],
    registers: [registry],
  });
  const freshness = new Histogram({
    name: 'crest_ingest_freshness_seconds',
    help: 'h',
    buckets: [0.1, 0.2, 0.5, 1],
    registers: [registry],
  });
  const deadLettered = new Counter({
    name: 'crest_ingest_dead_lettered_total',
    help: 'c',
    labelNames: ['topic', 'code'],
    registers: [registry],
  });
  const scrape = async (at: number): Promise<Scrape> => ({
    at,
    samples: parsePrometheusText(await registry.metrics()).samples,
  });

  it('gives events/s by type, freshness per interval and over the minute, and dead letters counted', async () => {
    const scrapes = [await scrape(0)];
    events.inc({ type: 'bid.placed' }, 100);
    events.inc({ type: 'chat.sent' }, 300);
    for (let i = 0; i < 10; i++) freshness.observe(0.15);
    scrapes.push(await scrape(10_000));
    events.inc({ type: 'chat.sent' }, 200);
    for (let i = 0; i < 10; i++) freshness.observe(0.8);
    deadLettered.inc({ topic: 'marketplace.commerce.v1', code: 'INVALID_JSON' }, 2);
    scrapes.push(await scrape(20_000));

    const view = pipelineView(UP, scrapes, NO_LAG);
    expect(view.windowSeconds).toBe(20);
    expect(view.eventsPerSecond).toEqual([
      { type: 'chat.sent', perSecond: 25 },
      { type: 'bid.placed', perSecond: 5 },
    ]);
    expect(view.totalEventsPerSecond).toBe(30);
    expect(view.freshness.series).toHaveLength(2);
    expect(view.freshness.series[0]).toMatchObject({ events: 10, p50Ms: 150 });
    expect(view.freshness.series[1]!.p50Ms).toBeGreaterThan(500);
    expect(view.freshness.windowP50Ms).toBe(200);
    expect(view.deadLetteredByIngestor).toEqual([
      { topic: 'marketplace.commerce.v1', code: 'INVALID_JSON', count: 2 },
    ]);
  });

  it('shows no numbers while the ingestor has not been scraped twice', () => {
    const view = pipelineView({ ...UP, up: false, lastError: 'refused' }, [], NO_LAG);
    expect(view).toMatchObject({ windowSeconds: null, totalEventsPerSecond: null, eventsPerSecond: [] });
    expect(view.freshness).toEqual({ windowP50Ms: null, windowP99Ms: null, series: [] });
  });
});
