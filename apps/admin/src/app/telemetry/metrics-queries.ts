import { type Scrape } from './metrics-history';
import { type Sample } from './prometheus-text';

export type Labels = Record<string, string>;

export interface Group<T> {
  labels: Labels;
  value: T;
}

export interface HistogramCounts {
  /** Cumulative counts per upper bound, ascending; the last bound is +Inf. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

const matches = (labels: Labels, where: Labels | undefined) =>
  !where || Object.entries(where).every(([k, v]) => labels[k] === v);
const seriesKey = (labels: Labels, omit?: string) =>
  JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== omit)
      .sort()
      .map((k) => [k, labels[k]]),
  );
const pick = (labels: Labels, by: readonly string[]) =>
  Object.fromEntries(by.map((k) => [k, labels[k] ?? ''])) as Labels;

/** The latest value of each series of `name`, summed by the `by` labels. */
export function sumBy(
  samples: readonly Sample[],
  name: string,
  by: readonly string[],
  where?: Labels,
): Map<string, Group<number>> {
  const groups = new Map<string, Group<number>>();
  for (const sample of samples) {
    if (sample.name !== name || !matches(sample.labels, where)) continue;
    const labels = pick(sample.labels, by);
    const key = seriesKey(labels);
    const group = groups.get(key) ?? { labels, value: 0 };
    group.value += sample.value;
    groups.set(key, group);
  }
  return groups;
}

/**
 * How much a counter grew from `then` to `now`, summed by the `by` labels. A series that went down was
 * reset (its process restarted): its whole current value is the increase, as Prometheus counts it.
 */
export function increase(
  now: Scrape,
  then: Scrape,
  name: string,
  by: readonly string[],
  where?: Labels,
): Map<string, Group<number>> {
  const before = new Map<string, number>();
  for (const sample of then.samples)
    if (sample.name === name && matches(sample.labels, where))
      before.set(seriesKey(sample.labels), sample.value);
  const groups = new Map<string, Group<number>>();
  for (const sample of now.samples) {
    if (sample.name !== name || !matches(sample.labels, where)) continue;
    const previous = before.get(seriesKey(sample.labels)) ?? 0;
    const grown = sample.value >= previous ? sample.value - previous : sample.value;
    const labels = pick(sample.labels, by);
    const key = seriesKey(labels);
    const group = groups.get(key) ?? { labels, value: 0 };
    group.value += grown;
    groups.set(key, group);
  }
  return groups;
}

/** How a histogram grew from `then` to `now` (`then` absent: since it started), by the `by` labels. */
export function histogramIncrease(
  now: Scrape,
  then: Scrape | undefined,
  name: string,
  by: readonly string[],
  where?: Labels,
): Map<string, Group<HistogramCounts>> {
  const empty: Scrape = { at: 0, samples: [] };
  const buckets = increase(now, then ?? empty, `${name}_bucket`, [...by, 'le'], where);
  const counts = increase(now, then ?? empty, `${name}_count`, by, where);
  const sums = increase(now, then ?? empty, `${name}_sum`, by, where);
  const groups = new Map<string, Group<HistogramCounts>>();
  for (const { labels, value } of buckets.values()) {
    const groupLabels = pick(labels, by);
    const key = seriesKey(groupLabels);
    const group = groups.get(key) ?? {
      labels: groupLabels,
      value: {
        buckets: [],
        count: counts.get(key)?.value ?? 0,
        sum: sums.get(key)?.value ?? 0,
      },
    };
    const le = labels['le'] === '+Inf' ? Infinity : Number(labels['le']);
    group.value.buckets.push({ le, count: value });
    groups.set(key, group);
  }
  for (const group of groups.values()) group.value.buckets.sort((a, b) => a.le - b.le);
  return groups;
}

/** Adds histograms of the same buckets (several instances of one service). */
export function mergeHistograms(histograms: readonly HistogramCounts[]): HistogramCounts {
  const byLe = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const histogram of histograms) {
    count += histogram.count;
    sum += histogram.sum;
    for (const { le, count: c } of histogram.buckets) byLe.set(le, (byLe.get(le) ?? 0) + c);
  }
  const buckets = [...byLe.entries()].map(([le, c]) => ({ le, count: c })).sort((a, b) => a.le - b.le);
  return { buckets, count, sum };
}

/**
 * The q-quantile of a histogram, interpolated linearly inside the bucket it falls in (Prometheus'
 * histogram_quantile). Null without observations; the largest finite bound when it falls in +Inf.
 */
export function histogramQuantile(q: number, histogram: HistogramCounts): number | null {
  const { buckets } = histogram;
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? le : lowerBound + ((le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

/** The newest scrape and the oldest within `windowMs` before it (null with fewer than two). */
export function windowEnds(
  scrapes: readonly Scrape[],
  windowMs: number,
): { now: Scrape; then: Scrape; seconds: number } | null {
  const now = scrapes.at(-1);
  if (!now) return null;
  const then = scrapes.find((scrape) => scrape !== now && scrape.at >= now.at - windowMs);
  if (!then) return null;
  return { now, then, seconds: (now.at - then.at) / 1000 };
}
