import { Counter, Histogram, Registry } from 'prom-client';

import { type Scrape } from './metrics-history';
import { histogramIncrease, histogramQuantile, increase, windowEnds } from './metrics-queries';
import { parsePrometheusText } from './prometheus-text';

const scrapeOf = async (registry: Registry, at: number): Promise<Scrape> => {
  const { samples, unparsed } = parsePrometheusText(await registry.metrics());
  expect(unparsed).toBe(0);
  return { at, samples };
};

describe('parsePrometheusText', () => {
  it('keeps every label of every histogram series as prom-client writes them (le first)', async () => {
    const registry = new Registry();
    const latency = new Histogram({
      name: 'lat_seconds',
      help: 'h',
      labelNames: ['backend'],
      buckets: [0.1],
      registers: [registry],
    });
    latency.observe({ backend: 'memory' }, 0.05);
    latency.observe({ backend: 'sql' }, 0.5);
    const { samples } = parsePrometheusText(await registry.metrics());
    expect(samples.filter((s) => s.name === 'lat_seconds_bucket')).toEqual([
      { name: 'lat_seconds_bucket', labels: { le: '0.1', backend: 'memory' }, value: 1 },
      { name: 'lat_seconds_bucket', labels: { le: '+Inf', backend: 'memory' }, value: 1 },
      { name: 'lat_seconds_bucket', labels: { le: '0.1', backend: 'sql' }, value: 0 },
      { name: 'lat_seconds_bucket', labels: { le: '+Inf', backend: 'sql' }, value: 1 },
    ]);
  });

  it('unescapes label values, reads NaN and Inf, and counts lines it cannot read instead of guessing', () => {
    const { samples, unparsed } = parsePrometheusText(
      [
        '# HELP x a metric',
        'x{path="a\\"b\\\\c\\nd",k="v"} 1.5 1700000000000',
        'y NaN',
        'z +Inf',
        'broken{a="1" 2',
        'w{a="1"} notanumber',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'x', labels: { path: 'a"b\\c\nd', k: 'v' }, value: 1.5 },
      { name: 'y', labels: {}, value: NaN },
      { name: 'z', labels: {}, value: Infinity },
    ]);
    expect(unparsed).toBe(2);
  });
});

describe('metrics queries', () => {
  it('takes a counter reset (a restarted service) as growth from zero, not a negative rate', async () => {
    const before = new Registry();
    new Counter({ name: 'events_total', help: 'c', registers: [before] }).inc(100);
    const after = new Registry();
    new Counter({ name: 'events_total', help: 'c', registers: [after] }).inc(7);
    const grown = increase(await scrapeOf(after, 2), await scrapeOf(before, 1), 'events_total', []);
    expect([...grown.values()].map((g) => g.value)).toEqual([7]);
  });

  it('interpolates quantiles inside buckets as Prometheus does', async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: 'f_seconds',
      help: 'h',
      buckets: [0.1, 0.2, 0.5],
      registers: [registry],
    });
    const then = await scrapeOf(registry, 0);
    for (let i = 0; i < 50; i++) h.observe(0.05); // (0, 0.1]
    for (let i = 0; i < 50; i++) h.observe(0.15); // (0.1, 0.2]
    const now = await scrapeOf(registry, 60_000);
    const histogram = [...histogramIncrease(now, then, 'f_seconds', []).values()][0]!.value;
    expect(histogram.count).toBe(100);
    expect(histogramQuantile(0.5, histogram)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.99, histogram)).toBeCloseTo(0.198);
    expect(histogramQuantile(0.5, { buckets: [], count: 0, sum: 0 })).toBeNull();
  });

  it('windows over the oldest scrape within the window, and needs two', () => {
    const at = (t: number): Scrape => ({ at: t, samples: [] });
    expect(windowEnds([at(0)], 60_000)).toBeNull();
    expect(windowEnds([at(0), at(20_000), at(70_000), at(75_000)], 60_000)).toMatchObject({ seconds: 55 });
  });
});
