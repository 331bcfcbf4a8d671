import { RETRIEVAL_BACKENDS } from '@crest/experiments';
import { CIRCUIT_STATE_VALUE, type CircuitStatus } from '@crest/retrieval';

import { type Scrape, type TargetStatus } from '../telemetry/metrics-history';
import {
  type HistogramCounts,
  histogramIncrease,
  histogramQuantile,
  increase,
  mergeHistograms,
  sumBy,
  windowEnds,
} from '../telemetry/metrics-queries';

export interface BackendView {
  name: string;
  /** Per feed-api instance; absent where the instance has no such backend. */
  circuits: Array<{ url: string; state: CircuitStatus | 'unknown' }>;
  callsPerSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Errors and timeouts over calls, in the window. */
  errorRate: number | null;
  /** Retrievals the fallback answered because this backend (as primary) did not, in the window. */
  fallbacksFrom: number | null;
  /** Retrievals this backend answered as the fallback, in the window. */
  fallbacksTo: number | null;
}

export interface BackendsView {
  windowSeconds: number | null;
  instances: TargetStatus[];
  backends: BackendView[];
  /** Why the fallbacks happened, in the window, most first. */
  fallbacks: Array<{ callSite: string; from: string; to: string; reason: string; count: number }>;
}

const WINDOW_MS = 60_000;
const LATENCY = 'crest_retrieval_backend_seconds';
const STATE_NAMES = Object.fromEntries(
  Object.entries(CIRCUIT_STATE_VALUE).map(([name, value]) => [value, name as CircuitStatus]),
);
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The backends page from every feed-api's scrapes. */
export function backendsView(
  instances: TargetStatus[],
  scrapesByInstance: ReadonlyArray<{ url: string; scrapes: readonly Scrape[] }>,
): BackendsView {
  const windows = scrapesByInstance.map(({ url, scrapes }) => ({
    url,
    window: windowEnds(scrapes, WINDOW_MS),
  }));
  const seconds = Math.max(0, ...windows.map((w) => w.window?.seconds ?? 0));
  const sumOver = (name: string, by: string[], where?: Record<string, string>) => {
    const totals = new Map<string, { labels: Record<string, string>; value: number }>();
    for (const { window } of windows) {
      if (!window) continue;
      for (const [key, group] of increase(window.now, window.then, name, by, where)) {
        const total = totals.get(key) ?? { labels: group.labels, value: 0 };
        total.value += group.value;
        totals.set(key, total);
      }
    }
    return totals;
  };
  const fallbacks = [
    ...sumOver('crest_retrieval_fallbacks_total', ['call_site', 'from', 'to', 'reason']).values(),
  ]
    .filter((f) => f.value > 0)
    .map(({ labels, value }) => ({
      callSite: labels['call_site']!,
      from: labels['from']!,
      to: labels['to']!,
      reason: labels['reason']!,
      count: value,
    }))
    .sort((a, b) => b.count - a.count);

  const configured = new Set<string>();
  for (const { scrapes } of scrapesByInstance)
    for (const { labels } of sumBy(scrapes.at(-1)?.samples ?? [], 'crest_retrieval_circuit_state', [
      'backend',
    ]).values())
      configured.add(labels['backend']!);
  const names = RETRIEVAL_BACKENDS.filter((name) => configured.has(name));

  const backends = names.map((name): BackendView => {
    const circuits = scrapesByInstance.map(({ url, scrapes }) => {
      const gauge = sumBy(scrapes.at(-1)?.samples ?? [], 'crest_retrieval_circuit_state', ['backend'], {
        backend: name,
      })
        .values()
        .next().value;
      return { url, state: gauge ? (STATE_NAMES[gauge.value] ?? 'unknown') : ('unknown' as const) };
    });
    const histograms: HistogramCounts[] = [];
    for (const { window } of windows)
      if (window)
        for (const group of histogramIncrease(window.now, window.then, LATENCY, [], {
          backend: name,
        }).values())
          histograms.push(group.value);
    const latency = histograms.length > 0 ? mergeHistograms(histograms) : null;
    const failures =
      (sumOver('crest_retrieval_backend_errors_total', [], { backend: name }).values().next().value?.value ??
        0) +
      (sumOver('crest_retrieval_backend_timeouts_total', [], { backend: name }).values().next().value
        ?.value ?? 0);
    const fallbackCount = (side: 'from' | 'to') =>
      seconds > 0 ? fallbacks.filter((f) => f[side] === name).reduce((sum, f) => sum + f.count, 0) : null;
    const quantileMs = (q: number) => {
      const value = latency ? histogramQuantile(q, latency) : null;
      return value === null ? null : round(value * 1000, 2);
    };
    return {
      name,
      circuits,
      callsPerSecond: latency && seconds > 0 ? round(latency.count / seconds, 1) : null,
      p50Ms: quantileMs(0.5),
      p99Ms: quantileMs(0.99),
      errorRate: latency && latency.count > 0 ? round(failures / latency.count, 4) : null,
      fallbacksFrom: fallbackCount('from'),
      fallbacksTo: fallbackCount('to'),
    };
  });
  return { windowSeconds: seconds > 0 ? Math.round(seconds) : null, instances, backends, fallbacks };
}
