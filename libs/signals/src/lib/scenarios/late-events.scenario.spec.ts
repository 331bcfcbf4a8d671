import { SignalPipeline } from '../signal-pipeline';
import { bidAt, chatAt, STREAM } from './scenario-events';

// Scenario: with 30 s allowed lateness, an event 20 s behind the watermark counts; one 40 s behind is
// dropped and counted as late.
describe('late events', () => {
  const sut = new SignalPipeline({ allowedLatenessMs: 30_000 });

  it('counts an event within the allowed lateness', () => {
    sut.ingest([chatAt(100)]);
    expect(sut.ingest([bidAt(80)])).toEqual({ applied: 1, duplicates: 0, late: 0 });
  });

  it('drops an event beyond it and counts it', () => {
    expect(sut.ingest([bidAt(60)])).toEqual({ applied: 0, duplicates: 0, late: 1 });
    expect(sut.counters.late).toBe(1);
    expect(sut.doc(STREAM)!.signals['bids']).toEqual({ '1m': 1, '5m': 1, '60m': 1 });
  });
});
