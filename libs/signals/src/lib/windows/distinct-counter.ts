import { HyperLogLog } from 'bloom-filters';

/** Above this many distinct values a counter switches from an exact set to a HyperLogLog sketch. */
export const DEFAULT_EXACT_DISTINCT_LIMIT = 1_000;

/**
 * HyperLogLog registers: 2^11 = 2,048 registers, standard error 1.04 / sqrt(2048) ≈ 2.3 % (so ±4.6 % at 95 %
 * confidence), 2 KB per sketch.
 */
export const HLL_REGISTERS = 2_048;

/**
 * Counts distinct values: exactly while small, with a HyperLogLog sketch beyond `exactLimit`. Counters of
 * different buckets merge, so a window's distinct count is the merge of its buckets.
 */
export class DistinctCounter {
  private exact: Set<string> | undefined = new Set();
  private sketch: HyperLogLog | undefined;

  constructor(private readonly exactLimit = DEFAULT_EXACT_DISTINCT_LIMIT) {}

  add(value: string): void {
    if (this.exact) {
      this.exact.add(value);
      if (this.exact.size > this.exactLimit) this.toSketch();
    } else {
      this.sketch!.update(value);
    }
  }

  get isExact(): boolean {
    return this.exact !== undefined;
  }

  /** Distinct count of the union of `counters`. */
  static countUnion(counters: readonly DistinctCounter[], exactLimit = DEFAULT_EXACT_DISTINCT_LIMIT): number {
    if (counters.every((c) => c.exact)) {
      const union = new Set<string>();
      for (const counter of counters) for (const value of counter.exact!) union.add(value);
      if (union.size <= exactLimit) return union.size;
    }
    let merged = new HyperLogLog(HLL_REGISTERS);
    for (const counter of counters) merged = merged.merge(counter.asSketch());
    return Math.round(merged.count());
  }

  private asSketch(): HyperLogLog {
    if (this.sketch) return this.sketch;
    const sketch = new HyperLogLog(HLL_REGISTERS);
    for (const value of this.exact!) sketch.update(value);
    return sketch;
  }

  private toSketch(): void {
    this.sketch = this.asSketch();
    this.exact = undefined;
  }
}
