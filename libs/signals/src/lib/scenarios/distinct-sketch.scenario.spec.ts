import { SignalPipeline } from '../signal-pipeline';
import { HLL_REGISTERS } from '../windows/distinct-counter';
import { chatAt, STREAM, userId } from './scenario-events';

// Scenario: distinct engaged users are exact up to the limit (here 100) and a HyperLogLog estimate beyond,
// within its documented error (1.04 / sqrt(2048) ≈ 2.3 % standard error; we allow three of them).
describe('distinct counts switch from exact to a sketch', () => {
  it('is exact up to the limit', () => {
    const sut = new SignalPipeline({ exactDistinctLimit: 100 });
    sut.ingest(Array.from({ length: 100 }, (_, i) => chatAt(10, userId(i))));
    sut.ingest(Array.from({ length: 100 }, (_, i) => chatAt(11, userId(i))));
    expect(sut.doc(STREAM)!.signals['engagedUsers']).toEqual({ '1m': 100, '5m': 100, '60m': 100 });
  });

  it('estimates within the error bound beyond it', () => {
    const sut = new SignalPipeline({ exactDistinctLimit: 100 });
    sut.ingest(Array.from({ length: 5_000 }, (_, i) => chatAt(10 + Math.floor(i / 125), userId(i))));
    const estimate = sut.doc(STREAM)!.signals['engagedUsers']!['5m']!;
    const standardError = 1.04 / Math.sqrt(HLL_REGISTERS);
    expect(Math.abs(estimate - 5_000) / 5_000).toBeLessThan(3 * standardError);
  });
});
