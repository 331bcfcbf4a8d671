import { DistinctCounter } from './distinct-counter';
import {
  COARSE_BUCKET_MS,
  COARSE_SLOTS,
  FINE_BUCKET_MS,
  FINE_SLOTS,
  WINDOW_BUCKETS,
  type WindowName,
} from './window.constants';

/** One signal of one stream over event time: add values at event times, read each window at a time. */
export interface SignalSeries {
  add(eventTime: number, value: number | string): void;
  read(window: WindowName, now: number): number | null;
}

/** Ring of buckets keyed by absolute bucket number, so a stale slot is recognised and reset on reuse. */
class BucketRing<T> {
  private readonly index: Float64Array;
  private readonly slots: T[];

  constructor(
    private readonly size: number,
    private readonly bucketMs: number,
    private readonly empty: () => T,
  ) {
    this.index = new Float64Array(size).fill(-1);
    this.slots = Array.from({ length: size }, empty);
  }

  /** The bucket holding `time`, or undefined when its slot already holds a newer bucket (too old). */
  bucketAt(time: number): T | undefined {
    const bucket = Math.floor(time / this.bucketMs);
    const slot = bucket % this.size;
    if (this.index[slot] === bucket) return this.slots[slot];
    if (this.index[slot]! > bucket) return undefined;
    this.index[slot] = bucket;
    this.slots[slot] = this.empty();
    return this.slots[slot];
  }

  /** The buckets of the last `count` bucket numbers up to and including the one holding `now`. */
  recent(now: number, count: number): T[] {
    const newest = Math.floor(now / this.bucketMs);
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) {
      const bucket = this.index[i]!;
      if (bucket > newest - count && bucket <= newest) out.push(this.slots[i]!);
    }
    return out;
  }
}

function rings<T>(empty: () => T): { fine: BucketRing<T>; coarse: BucketRing<T> } {
  return {
    fine: new BucketRing(FINE_SLOTS, FINE_BUCKET_MS, empty),
    coarse: new BucketRing(COARSE_SLOTS, COARSE_BUCKET_MS, empty),
  };
}

/** Count or sum of numeric values. */
export class SumSeries implements SignalSeries {
  private readonly buckets = rings(() => ({ total: 0 }));

  add(eventTime: number, value: number | string): void {
    const amount = Number(value);
    const fine = this.buckets.fine.bucketAt(eventTime);
    if (fine) fine.total += amount;
    const coarse = this.buckets.coarse.bucketAt(eventTime);
    if (coarse) coarse.total += amount;
  }

  read(window: WindowName, now: number): number {
    const { coarse, buckets } = WINDOW_BUCKETS[window];
    return (coarse ? this.buckets.coarse : this.buckets.fine)
      .recent(now, buckets)
      .reduce((sum, b) => sum + b.total, 0);
  }
}

/**
 * Distinct values, exact while small and a HyperLogLog sketch beyond the limit (see DistinctCounter).
 * A read unions the window's buckets, which is the costly part of building a doc, so a read is reused
 * until a value is added or the window moves to another bucket.
 */
export class DistinctSeries implements SignalSeries {
  private readonly buckets;
  private readonly cache = new Map<WindowName, { bucket: number; count: number }>();

  constructor(private readonly exactLimit?: number) {
    this.buckets = rings(() => new DistinctCounter(exactLimit));
  }

  add(eventTime: number, value: number | string): void {
    this.buckets.fine.bucketAt(eventTime)?.add(String(value));
    this.buckets.coarse.bucketAt(eventTime)?.add(String(value));
    this.cache.clear();
  }

  read(window: WindowName, now: number): number {
    const { coarse, buckets } = WINDOW_BUCKETS[window];
    const bucket = Math.floor(now / (coarse ? COARSE_BUCKET_MS : FINE_BUCKET_MS));
    const cached = this.cache.get(window);
    if (cached?.bucket === bucket) return cached.count;
    const counters = (coarse ? this.buckets.coarse : this.buckets.fine).recent(now, buckets);
    const count = DistinctCounter.countUnion(counters, this.exactLimit);
    this.cache.set(window, { bucket, count });
    return count;
  }
}

/** The value of the event with the latest event time, if that event falls inside the window. */
export class LastValueSeries implements SignalSeries {
  private time = Number.NEGATIVE_INFINITY;
  private value: number | null = null;

  add(eventTime: number, value: number | string): void {
    if (eventTime >= this.time) {
      this.time = eventTime;
      this.value = Number(value);
    }
  }

  read(window: WindowName, now: number): number | null {
    const { coarse, buckets } = WINDOW_BUCKETS[window];
    const bucketMs = coarse ? COARSE_BUCKET_MS : FINE_BUCKET_MS;
    const oldest = (Math.floor(now / bucketMs) - buckets + 1) * bucketMs;
    return this.time >= oldest ? this.value : null;
  }
}
