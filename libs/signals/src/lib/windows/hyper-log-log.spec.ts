import { HyperLogLog } from './hyper-log-log';

describe('HyperLogLog', () => {
  it.each([100, 10_000, 200_000])('estimates %i distinct values within three standard errors', (n) => {
    const sut = new HyperLogLog(11);
    for (let i = 0; i < n; i++) sut.add(`user-${i}`);
    for (let i = 0; i < n; i += 3) sut.add(`user-${i}`);
    expect(Math.abs(sut.count() - n) / n).toBeLessThan(3 * (1.04 / Math.sqrt(2048)));
  });

  it('merges to the union', () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 5_000; i++) a.add(`u${i}`);
    for (let i = 2_500; i < 7_500; i++) b.add(`u${i}`);
    a.mergeFrom(b);
    expect(Math.abs(a.count() - 7_500) / 7_500).toBeLessThan(0.07);
  });

  it('refuses a precision it cannot hold', () => {
    expect(() => new HyperLogLog(20)).toThrow(
      'HyperLogLog precision must be an integer from 4 to 16, got 20',
    );
  });
});
