import { HyperLogLog } from './hyper-log-log';

/** Above this many distinct values a counter switches from an exact set to a HyperLogLog sketch. */
export const DEFAULT_EXACT_DISTINCT_LIMIT = 1_000;

/**
 * HyperLogLog precision: 2^11 = 2,048 registers, standard error 1.04 / sqrt(2048) ≈ 2.3 % (±4.6 % at 95 %
 * confidence), 2 KB per sketch.
 */
export const HLL_PRECISION = 11;
export const HLL_REGISTERS = 1 << HLL_PRECISION;

/**
 * Counts distinct values: exactly while small, with a HyperLogLog sketch beyond `exactLimit`. Counters of
 * different buckets merge, so a window's distinct count is the union of its buckets; an exact counter
 * builds its sketch only when a union first needs it and keeps it current from then on.
 */
export class DistinctCounter {
  private exact: Set<string> | undefined = new Set();
  private sketch: HyperLogLog | undefined;

  constructor(private readonly exactLimit = DEFAULT_EXACT_DISTINCT_LIMIT) {}

  add(value: string): void {
    this.sketch?.add(value);
    if (!this.exact) return;
    this.exact.add(value);
    if (this.exact.size > this.exactLimit) {
      this.asSketch();
      this.exact = undefined;
    }
  }

  get isExact(): boolean {
    return this.exact !== undefined;
  }

  /** Distinct count of the union of `counters`. */
  static countUnion(counters: readonly DistinctCounter[], exactLimit = DEFAULT_EXACT_DISTINCT_LIMIT): number {
    if (counters.every((c) => c.exact)) {
      const union = new Set<string>();
      for (const counter of counters) {
        for (const value of counter.exact!) union.add(value);
        if (union.size > exactLimit) break;
      }
      if (union.size <= exactLimit) return union.size;
    }
    const merged = new HyperLogLog(HLL_PRECISION);
    for (const counter of counters) merged.mergeFrom(counter.asSketch());
    return Math.round(merged.count());
  }

  private asSketch(): HyperLogLog {
    if (!this.sketch) {
      this.sketch = new HyperLogLog(HLL_PRECISION);
      for (const value of this.exact!) this.sketch.add(value);
    }
    return this.sketch;
  }
}
