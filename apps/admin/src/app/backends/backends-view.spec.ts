import { RetrievalMetrics } from '@crest/retrieval';

import { type Scrape } from '../telemetry/metrics-history';
import { parsePrometheusText } from '../telemetry/prometheus-text';
import { backendsView } from './backends-view';

describe('the backends view, from feed-api /metrics scrapes', () => {
  it('shows calls/s, latency, error rate, fallbacks and each instance’s circuit over the window', async () => {
    const metrics = new RetrievalMetrics();
    const scrape = async (at: number): Promise<Scrape> => ({
      at,
      samples: parsePrometheusText(await metrics.registry.metrics()).samples,
    });
    metrics.circuit('memory', 'closed');
    metrics.circuit('elasticsearch', 'closed');
    const first = await scrape(0);
    for (let i = 0; i < 90; i++)
      metrics.attempt({ backend: 'memory', role: 'primary', outcome: 'ok', ms: 0.8 });
    for (let i = 0; i < 10; i++)
      metrics.attempt({ backend: 'memory', role: 'primary', outcome: 'error', ms: 40 });
    for (let i = 0; i < 10; i++)
      metrics.servedBy('home/trending', 'elasticsearch', 'fallback-error', 'memory');
    metrics.circuit('memory', 'isolated');
    const second = await scrape(20_000);

    const view = backendsView(
      [{ job: 'feed-api', url: 'http://a', up: true, lastScrapeAt: null, lastError: null }],
      [{ url: 'http://a', scrapes: [first, second] }],
    );
    expect(view.windowSeconds).toBe(20);
    const memory = view.backends.find((b) => b.name === 'memory')!;
    expect(memory).toMatchObject({
      circuits: [{ url: 'http://a', state: 'isolated' }],
      callsPerSecond: 5,
      errorRate: 0.1,
      fallbacksFrom: 10,
      fallbacksTo: 0,
    });
    expect(memory.p50Ms).toBeGreaterThan(0.5);
    expect(memory.p50Ms).toBeLessThanOrEqual(1);
    expect(memory.p99Ms).toBeGreaterThan(25);
    expect(view.backends.find((b) => b.name === 'elasticsearch')).toMatchObject({
      circuits: [{ state: 'closed' }],
      fallbacksTo: 10,
      callsPerSecond: null,
    });
    expect(view.fallbacks).toEqual([
      { callSite: 'home/trending', from: 'memory', to: 'elasticsearch', reason: 'fallback-error', count: 10 },
    ]);
  });

  it('says nothing it does not know: one scrape gives no rates', async () => {
    const metrics = new RetrievalMetrics();
    metrics.circuit('memory', 'open');
    const only: Scrape = { at: 0, samples: parsePrometheusText(await metrics.registry.metrics()).samples };
    const view = backendsView([], [{ url: 'http://a', scrapes: [only] }]);
    expect(view.windowSeconds).toBeNull();
    expect(view.backends).toEqual([
      expect.objectContaining({
        name: 'memory',
        circuits: [{ url: 'http://a', state: 'open' }],
        p99Ms: null,
      }),
    ]);
  });
});
