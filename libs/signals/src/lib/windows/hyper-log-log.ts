import murmurhash from 'murmurhash';

/**
 * HyperLogLog with 2^precision registers over 32-bit MurmurHash3 (Flajolet et al. 2007, with the small-
 * and large-range corrections). Standard error 1.04 / sqrt(2^precision): 2.3 % at the default precision 11,
 * in 2 KB. Kept here because the JS HLL on npm (bloom-filters) hashes with emulated 64-bit integers and cost
 * about 10 µs per value, most of the ingest CPU in a profile; this one costs well under 1 µs.
 */
export class HyperLogLog {
  readonly registers: Uint8Array;
  private readonly shift: number;

  constructor(readonly precision = 11) {
    if (!Number.isInteger(precision) || precision < 4 || precision > 16) {
      throw new Error(`HyperLogLog precision must be an integer from 4 to 16, got ${precision}`);
    }
    this.registers = new Uint8Array(1 << precision);
    this.shift = 32 - precision;
  }

  add(value: string): void {
    const hash = murmurhash.v3(value, 0x9747b28c) >>> 0;
    const index = hash >>> this.shift;
    // Rank of the first 1-bit in the remaining bits; the sentinel bit caps it at 32 - precision + 1.
    const rank = Math.clz32(((hash << this.precision) | (1 << (this.precision - 1))) >>> 0) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  /** Folds `other` into this sketch (union of the two sets). */
  mergeFrom(other: HyperLogLog): void {
    if (other.precision !== this.precision)
      throw new Error('cannot merge HyperLogLogs of different precision');
    const mine = this.registers;
    const theirs = other.registers;
    for (let i = 0; i < mine.length; i++) if (theirs[i]! > mine[i]!) mine[i] = theirs[i]!;
  }

  count(): number {
    const m = this.registers.length;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      sum += 2 ** -this.registers[i]!;
      if (this.registers[i] === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    const raw = (alpha * m * m) / sum;
    if (raw <= 2.5 * m && zeros > 0) return m * Math.log(m / zeros);
    const two32 = 2 ** 32;
    if (raw > two32 / 30) return -two32 * Math.log(1 - raw / two32);
    return raw;
  }
}
