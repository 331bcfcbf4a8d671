import { SignalPipeline } from '../signal-pipeline';
import { bidAt, chatAt, STREAM } from './scenario-events';

// Scenario: bids at known event times; each window counts the buckets it spans at the watermark.
describe('window boundaries', () => {
  const sut = new SignalPipeline();
  // Bids 50 min, 4 min, 70 s, 30 s and 1 s before the last event (a chat at 3000 s moves the watermark).
  sut.ingest([bidAt(0), bidAt(2760), bidAt(2930), bidAt(2970), bidAt(2999), chatAt(3000)]);
  const doc = sut.doc(STREAM)!;

  it('counts each window over its buckets', () => {
    expect(doc.signals['bids']).toEqual({ '1m': 2, '5m': 4, '60m': 5 });
  });

  it('reads at the event-time watermark, not the wall clock', () => {
    expect(doc.asOf).toBe('2026-11-24T10:50:00.000Z');
  });

  it('rolls an event out of the 1-minute window once its 5-second bucket is 12 buckets old', () => {
    // At 3035 s the 1-minute window spans buckets from 2980 s: the bid at 2970 s has just rolled out.
    sut.ingest([chatAt(3035)]);
    expect(sut.doc(STREAM)!.signals['bids']).toEqual({ '1m': 1, '5m': 4, '60m': 5 });
    sut.ingest([chatAt(3060)]);
    expect(sut.doc(STREAM)!.signals['bids']).toEqual({ '1m': 0, '5m': 3, '60m': 5 });
  });

  it('drops an event from the 60-minute window after its minute bucket is 60 minutes old', () => {
    sut.ingest([chatAt(3600)]);
    expect(sut.doc(STREAM)!.signals['bids']!['60m']).toBe(4);
  });
});
