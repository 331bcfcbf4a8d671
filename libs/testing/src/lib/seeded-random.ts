import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

const TWO_POW_32 = 2 ** 32;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Deterministic randomness for the simulator: the same seed gives the same sequence on every machine. */
export class SeededRandom {
  private readonly generator;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed | 0);
    // xoroshiro's first outputs from small seeds are low-entropy (all ones for seed 1); skip past them.
    for (let i = 0; i < 20; i++) this.generator.next();
  }

  /** Uniform in [0, 1). */
  float(): number {
    return (this.generator.next() >>> 0) / TWO_POW_32;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** A Zipf-like rank in [0, n): small ranks are much more likely (popular sellers, busy streams). */
  skewedIndex(n: number, skew = 1.2): number {
    return Math.min(n - 1, Math.floor(n * this.float() ** (1 + skew * 2)));
  }

  /** A version-4-shaped UUID drawn from this generator (not crypto-random; deterministic by design). */
  uuid(): string {
    const a = this.generator.next() >>> 0;
    const b = this.generator.next() >>> 0;
    const c = this.generator.next() >>> 0;
    const d = this.generator.next() >>> 0;
    return (
      HEX[a >>> 24]! +
      HEX[(a >>> 16) & 0xff]! +
      HEX[(a >>> 8) & 0xff]! +
      HEX[a & 0xff]! +
      '-' +
      HEX[b >>> 24]! +
      HEX[(b >>> 16) & 0xff]! +
      '-4' +
      HEX[(b >>> 8) & 0x0f]!.slice(1) +
      HEX[b & 0xff]! +
      '-' +
      HEX[0x80 | ((c >>> 24) & 0x3f)]! +
      HEX[(c >>> 16) & 0xff]! +
      '-' +
      HEX[(c >>> 8) & 0xff]! +
      HEX[c & 0xff]! +
      HEX[d >>> 24]! +
      HEX[(d >>> 16) & 0xff]! +
      HEX[(d >>> 8) & 0xff]! +
      HEX[d & 0xff]!
    );
  }
}
